/*
 * sigma_map — Sigma's logsources and field names in terms of our events,
 * as data (docs/SIGMA.md prints the same tables for operators).
 *
 * A Sigma rule names what it looks at abstractly (product/category/service)
 * and its fields in the producing tool's words (Sysmon's Image, W3C's
 * cs-uri-query, auditd's a0). A rule whose logsource or field is missing
 * here is refused by sigma.c with that reason: a rule that loads but reads
 * a field no event ever has would be silently dead, which is exactly what
 * users of other engines complain about.
 *
 * Windows events arrive as JSON (format: json) in one of three shapes, and
 * each field maps to all: the rendered event XML as JSON (Event.System.*,
 * Event.EventData.* or Event.UserData.*: evtx_dump, NXLog's xm_xml to
 * JSON), Winlogbeat's (winlog.*, winlog.event_data.*, winlog.user_data.*)
 * and NXLog im_msvistalog's flat object (EventID, Channel, SourceName and
 * the event data at the top). A JSON object's "#attributes" level is dropped by
 * the JSON input, so Provider's Name is Event.System.Provider.Name.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sigma_internal.h"

#define FAC(x) (1u << (x))
#define FAC_AUTH FAC(4)
#define FAC_AUTHPRIV FAC(10)

#define SYSMON_WIN "Microsoft-Windows-Sysmon/Operational"
#define SYSMON_LINUX "Linux-Sysmon/Operational"

#define IDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CHANNELS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define SYSMON(os, chan, cat, ...)                                             \
  {                                                                            \
    .name = os "/" cat, .kind = SIGMA_SRC_WINDOWS, .channels = CHANNELS(chan), \
    .event_ids = IDS(__VA_ARGS__)                                              \
  }
#define SYSMON_BOTH(cat, ...) \
  SYSMON("windows", SYSMON_WIN, cat, __VA_ARGS__), SYSMON("linux", SYSMON_LINUX, cat, __VA_ARGS__)
#define WINCAT(cat, chan, ...)                                                     \
  {                                                                                \
    .name = "windows/" cat, .kind = SIGMA_SRC_WINDOWS, .channels = CHANNELS(chan), \
    .event_ids = IDS(__VA_ARGS__)                                                  \
  }
#define WINSVC(svc, ...) \
  { .name = "windows/" svc, .kind = SIGMA_SRC_WINDOWS, .channels = CHANNELS(__VA_ARGS__) }

/* Windows (and Sysmon for Linux) categories: Sysmon's event ids, plus the
 * PowerShell ones. */
static const sigma_source win_categories[] = {
    SYSMON_BOTH("process_creation", "1"),
    SYSMON_BOTH("file_change", "2"),
    SYSMON_BOTH("network_connection", "3"),
    SYSMON_BOTH("sysmon_status", "4", "16"),
    SYSMON_BOTH("process_termination", "5"),
    SYSMON_BOTH("driver_load", "6"),
    SYSMON_BOTH("image_load", "7"),
    SYSMON_BOTH("create_remote_thread", "8"),
    SYSMON_BOTH("raw_access_thread", "9"),
    SYSMON_BOTH("process_access", "10"),
    SYSMON_BOTH("file_event", "11"),
    SYSMON_BOTH("registry_add", "12"),
    SYSMON_BOTH("registry_delete", "12"),
    SYSMON_BOTH("registry_set", "13"),
    SYSMON_BOTH("registry_rename", "14"),
    SYSMON_BOTH("registry_event", "12", "13", "14"),
    SYSMON_BOTH("create_stream_hash", "15"),
    SYSMON_BOTH("pipe_created", "17", "18"),
    SYSMON_BOTH("wmi_event", "19", "20", "21"),
    SYSMON_BOTH("dns_query", "22"),
    SYSMON_BOTH("file_delete", "23", "26"),
    SYSMON_BOTH("clipboard_capture", "24"),
    SYSMON_BOTH("process_tampering", "25"),
    SYSMON_BOTH("file_block_executable", "27"),
    SYSMON_BOTH("file_block_shredding", "28"),
    SYSMON_BOTH("file_executable_detected", "29"),
    SYSMON_BOTH("sysmon_error", "255"),
    WINCAT("ps_script", "Microsoft-Windows-PowerShell/Operational", "4104"),
    WINCAT("ps_module", "Microsoft-Windows-PowerShell/Operational", "4103"),
    WINCAT("ps_classic_start", "Windows PowerShell", "400"),
    WINCAT("ps_classic_provider_start", "Windows PowerShell", "600"),
    WINCAT("ps_classic_script", "Windows PowerShell", "800"),
};
#define NWINCAT (sizeof win_categories / sizeof win_categories[0])

/* Windows services: the event log channels they read. */
static const sigma_source win_services[] = {
    WINSVC("security", "Security"),
    WINSVC("system", "System"),
    WINSVC("application", "Application"),
    WINSVC("sysmon", SYSMON_WIN),
    WINSVC("powershell", "Microsoft-Windows-PowerShell/Operational"),
    WINSVC("powershell-classic", "Windows PowerShell"),
    WINSVC("windefend", "Microsoft-Windows-Windows Defender/Operational"),
    WINSVC("taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"),
    WINSVC("wmi", "Microsoft-Windows-WMI-Activity/Operational"),
    WINSVC("dns-server", "DNS Server"),
    WINSVC("dns-client", "Microsoft-Windows-DNS Client Events/Operational"),
    WINSVC("codeintegrity-operational", "Microsoft-Windows-CodeIntegrity/Operational"),
    WINSVC("firewall-as", "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"),
    WINSVC("bits-client", "Microsoft-Windows-Bits-Client/Operational"),
    WINSVC("applocker", "Microsoft-Windows-AppLocker/MSI and Script",
           "Microsoft-Windows-AppLocker/EXE and DLL",
           "Microsoft-Windows-AppLocker/Packaged app-Deployment",
           "Microsoft-Windows-AppLocker/Packaged app-Execution"),
    WINSVC("ntlm", "Microsoft-Windows-NTLM/Operational"),
    WINSVC("appxdeployment-server", "Microsoft-Windows-AppXDeploymentServer/Operational"),
    WINSVC("security-mitigations", "Microsoft-Windows-Security-Mitigations/Kernel Mode",
           "Microsoft-Windows-Security-Mitigations/User Mode"),
    WINSVC("msexchange-management", "MSExchange Management"),
    WINSVC("iis-configuration", "Microsoft-IIS-Configuration/Operational"),
    WINSVC("smbclient-security", "Microsoft-Windows-SmbClient/Security"),
    WINSVC("terminalservices-localsessionmanager",
           "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"),
    WINSVC("openssh", "OpenSSH/Operational"),
    WINSVC("driver-framework", "Microsoft-Windows-DriverFrameworks-UserMode/Operational"),
    WINSVC("lsa-server", "Microsoft-Windows-LSA/Operational"),
    WINSVC("capi2", "Microsoft-Windows-CAPI2/Operational"),
    WINSVC("shell-core", "Microsoft-Windows-Shell-Core/Operational"),
    WINSVC("vhdmp", "Microsoft-Windows-VHDMP/Operational"),
    WINSVC("appmodel-runtime", "Microsoft-Windows-AppModel-Runtime/Admin"),
    WINSVC("appxpackaging-om", "Microsoft-Windows-AppxPackaging/Operational"),
    WINSVC("kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Operational"),
    WINSVC("bitlocker", "Microsoft-Windows-BitLocker/BitLocker Management"),
    WINSVC("diagnosis-scripted", "Microsoft-Windows-Diagnosis-Scripted/Operational"),
    WINSVC("printservice-admin", "Microsoft-Windows-PrintService/Admin"),
    WINSVC("printservice-operational", "Microsoft-Windows-PrintService/Operational"),
    WINSVC("ldap", "Microsoft-Windows-LDAP-Client/Debug"),
    WINSVC("smbserver-connectivity", "Microsoft-Windows-SmbServer/Connectivity"),
    WINSVC("certificateservicesclient-lifecycle-system",
           "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"),
    WINSVC("microsoft-servicebus-client", "Microsoft-ServiceBus-Client"),
};
#define NWINSVC (sizeof win_services / sizeof win_services[0])

/* Linux syslog services: the programs (process.name) that log them. */
static const char *const p_sshd[] = {"sshd", NULL};
static const char *const p_cron[] = {"cron", "CRON", "crond", NULL};
static const char *const p_sudo[] = {"sudo", NULL};
static const char *const p_su[] = {"su", NULL};
static const char *const p_clamav[] = {"clamd", "freshclam", "clamscan", NULL};
static const char *const p_guacamole[] = {"guacd", NULL};
static const char *const p_vsftpd[] = {"vsftpd", NULL};
static const char *const p_sssd[] = {"sssd", NULL};

static const sigma_source linux_services[] = {
    {.name = "linux/sshd", .kind = SIGMA_SRC_SYSLOG, .programs = p_sshd},
    {.name = "linux/cron", .kind = SIGMA_SRC_SYSLOG, .programs = p_cron},
    {.name = "linux/sudo", .kind = SIGMA_SRC_SYSLOG, .programs = p_sudo},
    {.name = "linux/su", .kind = SIGMA_SRC_SYSLOG, .programs = p_su},
    {.name = "linux/clamav", .kind = SIGMA_SRC_SYSLOG, .programs = p_clamav},
    {.name = "linux/guacamole", .kind = SIGMA_SRC_SYSLOG, .programs = p_guacamole},
    {.name = "linux/vsftpd", .kind = SIGMA_SRC_SYSLOG, .programs = p_vsftpd},
    {.name = "linux/sssd", .kind = SIGMA_SRC_SYSLOG, .programs = p_sssd},
    {.name = "linux/auth", .kind = SIGMA_SRC_SYSLOG, .facilities = FAC_AUTH | FAC_AUTHPRIV},
    {.name = "linux/syslog", .kind = SIGMA_SRC_SYSLOG},
    {.name = "linux/auditd", .kind = SIGMA_SRC_AUDITD},
};
#define NLINUXSVC (sizeof linux_services / sizeof linux_services[0])

static const sigma_source linux_any = {.name = "linux", .kind = SIGMA_SRC_SYSLOG};
/* HTTP transactions: the pcap input's, and access-log lines (format:
 * access, or syslog from nginx, apache2, httpd): a web server's for
 * webserver rules, a forward proxy's for proxy rules. Proxy rules look for
 * what clients inside send out (SigmaHQ's own comment on Googlebot's user
 * agent: "only use in proxy logs - not for detection in web server logs"). */
static const char *const webserver_datasets[] = {"network.http", "web.access", NULL};
static const char *const proxy_datasets[] = {"network.http", "proxy.access", NULL};
static const sigma_source web_server = {
    .name = "web", .kind = SIGMA_SRC_WEB, .datasets = webserver_datasets};
static const sigma_source web_proxy = {
    .name = "web", .kind = SIGMA_SRC_WEB, .datasets = proxy_datasets};
/* service: apache / nginx with no category: SigmaHQ's are keywords of the
 * servers' error logs, which reach us as plain lines (a file, or syslog
 * without a program name we could rely on). */
static const sigma_source web_error_log = {.name = "web/error", .kind = SIGMA_SRC_SYSLOG};

/* W3C / proxy field names -> the ECS fields of an HTTP transaction. */
static const struct {
  const char *sigma, *ecs;
} web_fields[] = {
    {"cs-method", "http.request.method"},
    {"c-method", "http.request.method"},
    {"c-uri", "url.original"},
    {"cs-uri", "url.original"},
    {"r-dns", "url.domain"},
    {"cs-host", "url.domain"},
    /* SigmaHQ's rules mean the request target by it, not W3C's query alone
     * (endswith '/mgmt/tm/util/bash', contains '~1' and endswith 'a.aspx') */
    {"c-uri-query", "url.original"},
    {"cs-uri-query", "url.original"},
    {"c-uri-stem", "url.path"},
    {"cs-uri-stem", "url.path"},
    {"c-useragent", "user_agent.original"},
    {"cs-user-agent", "user_agent.original"},
    {"cs-referrer", "http.request.referrer"},
    {"cs-referer", "http.request.referrer"},
    {"sc-status", "http.response.status_code"},
    {"c-ip", "source.ip"},
    {"src_ip", "source.ip"},
    {"dst_ip", "destination.ip"},
    {"s-ip", "destination.ip"},
    {"cs-version", "http.version"},
};
#define NWEBFIELDS (sizeof web_fields / sizeof web_fields[0])

/* Windows System fields as Sigma names them -> (XML shape, Winlogbeat,
 * NXLog's im_msvistalog JSON; NULL: that shape has none). */
static const struct {
  const char *sigma, *xml, *beat, *nxlog;
} win_system[] = {
    {"EventID", "Event.System.EventID", "winlog.event_id", "EventID"},
    {"Channel", "Event.System.Channel", "winlog.channel", "Channel"},
    {"Provider_Name", "Event.System.Provider.Name", "winlog.provider_name", "SourceName"},
    {"Computer", "Event.System.Computer", "winlog.computer_name", "Hostname"},
    {"Level", "Event.System.Level", "log.level", NULL},
    {"Task", "Event.System.Task", "winlog.task", "Task"},
    {"Keywords", "Event.System.Keywords", "winlog.keywords", "Keywords"},
    {"EventRecordID", "Event.System.EventRecordID", "winlog.record_id", "RecordNumber"},
};
#define NWINSYS (sizeof win_system / sizeof win_system[0])

static int eq(const char *a, const char *b) { return a && b && !strcasecmp(a, b); }

/* The part of a table entry's name after "os/". */
static int named(const sigma_source *s, const char *os, const char *what) {
  size_t n = strlen(os);
  return !strncmp(s->name, os, n) && s->name[n] == '/' && eq(s->name + n + 1, what);
}

const sigma_source *soc_sigma_map_source(const char *product, const char *category,
                                         const char *service) {
  if (eq(product, "windows") || (eq(product, "linux") && category)) {
    const char *os = eq(product, "windows") ? "windows" : "linux";
    if (service && category) return NULL;
    if (service) {
      for (size_t i = 0; i < NWINSVC; i++)
        if (named(&win_services[i], os, service)) return &win_services[i];
      return NULL;
    }
    for (size_t i = 0; category && i < NWINCAT; i++)
      if (named(&win_categories[i], os, category)) return &win_categories[i];
    return NULL;
  }
  if (eq(product, "linux")) {
    if (!service) return &linux_any;
    for (size_t i = 0; i < NLINUXSVC; i++)
      if (named(&linux_services[i], "linux", service)) return &linux_services[i];
    return NULL;
  }
  if (product && !eq(product, "apache") && !eq(product, "nginx")) return NULL;
  if (eq(category, "webserver")) return &web_server;
  if (eq(category, "proxy")) return &web_proxy;
  if (!category && (eq(service, "apache") || eq(service, "nginx"))) return &web_error_log;
  return NULL;
}

static int name_ok(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_' || *s == '-'))
      return 0;
  return 1;
}

#define PUT(i, ...) snprintf(out[i], SOC_EVENT_KEY_MAX + 1, __VA_ARGS__)

size_t soc_sigma_map_field(const sigma_source *s, const char *field,
                           char out[SIGMA_FIELD_ALTS][SOC_EVENT_KEY_MAX + 1]) {
  switch (s->kind) {
    case SIGMA_SRC_SYSLOG:
      if (field) return 0;
      PUT(0, "message");
      return 1;
    case SIGMA_SRC_WEB:
      if (!field) {
        PUT(0, "url.original");
        return 1;
      }
      for (size_t i = 0; i < NWEBFIELDS; i++)
        if (!strcmp(field, web_fields[i].sigma)) {
          PUT(0, "%s", web_fields[i].ecs);
          return 1;
        }
      return 0;
    case SIGMA_SRC_AUDITD:
      if (!field) {
        PUT(0, "message");
        return 1;
      }
      if (!name_ok(field) || strlen(field) > 64) return 0;
      PUT(0, "auditd.%s", field);
      return 1;
    case SIGMA_SRC_WINDOWS:
      if (!field) return 0; /* no full text in a Windows event */
      for (size_t i = 0; i < NWINSYS; i++)
        if (!strcmp(field, win_system[i].sigma)) {
          PUT(0, "%s", win_system[i].xml);
          PUT(1, "%s", win_system[i].beat);
          if (!win_system[i].nxlog) return 2;
          PUT(2, "%s", win_system[i].nxlog);
          return 3;
        }
      if (!name_ok(field) || strlen(field) > 64) return 0;
      PUT(0, "Event.EventData.%s", field);
      PUT(1, "winlog.event_data.%s", field);
      PUT(2, "Event.UserData.%s", field);
      PUT(3, "winlog.user_data.%s", field);
      PUT(4, "%s", field); /* NXLog: the event data at the top */
      return 5;
  }
  return 0;
}
