/*
 * socagent: download cradles — one line that fetches code and runs it,
 * the usual second step after a webshell or an exploited upload.
 */

rule SOC_Cradle_PowerShell_Download_Exec
{
  meta:
    id = "SOC-YARA-006"
    title = "PowerShell download cradle"
    description = "IEX/Invoke-Expression of a WebClient DownloadString or Invoke-WebRequest result"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1059/001/"
  strings:
    $iex1 = /\b(iex|invoke-expression)\b/ nocase ascii wide
    $dl1 = ".DownloadString(" nocase ascii wide
    $dl2 = ".DownloadData(" nocase ascii wide
    $dl3 = /\b(invoke-webrequest|iwr|invoke-restmethod|irm)\s+[^|;]{0,200}(https?:\/\/|\$)/ nocase ascii wide
  condition:
    $iex1 and any of ($dl*)
}

rule SOC_Cradle_Shell_Pipe
{
  meta:
    id = "SOC-YARA-007"
    title = "Shell download cradle (curl/wget piped into a shell)"
    description = "curl or wget output piped straight into sh/bash, or fetched and run in one line"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1105/"
  strings:
    $p1 = /\b(curl|wget)\s[^|;\n]{0,200}\|\s*(sudo\s+)?(ba|da|z)?sh\b/
    $p2 = /\b(curl|wget)\s[^;\n]{0,200}-O\s*\/tmp\/[^;\n]{1,64};\s*(chmod\s+\+?[0-7x]{1,4}\s+\/tmp\/|sh\s+\/tmp\/|bash\s+\/tmp\/)/
  condition:
    any of them
}

rule SOC_Cradle_Certutil_Urlcache
{
  meta:
    id = "SOC-YARA-008"
    title = "certutil used to download a file"
    description = "certutil -urlcache -split -f (or -verifyctl): a living-off-the-land downloader"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1105/"
  strings:
    $c = "certutil" nocase ascii wide
    $u1 = /-urlcache\s+(-split\s+)?-f\s+https?:\/\// nocase ascii wide
    $u2 = /-verifyctl\s+-f\s+(-split\s+)?https?:\/\// nocase ascii wide
  condition:
    $c and any of ($u*)
}
