/*
 * socagent: webshells in PHP, ASP(.NET) and JSP — code that runs what a
 * request carries. Each rule needs a request source and an execution sink
 * together, so ordinary pages that use one of them stay quiet.
 * Tests: tests/data/yara/fire/SOC_Webshell_*, quiet/*.
 */

rule SOC_Webshell_PHP_Eval_Request
{
  meta:
    id = "SOC-YARA-001"
    title = "PHP webshell: request input evaluated as code"
    description = "eval/assert/create_function/preg_replace-e on a request variable, directly or through base64/gzinflate/str_rot13"
    category = "web-attack"
    subtype = "web trojan"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1505/003/"
  strings:
    $php = "<?" ascii
    $e1 = /(eval|assert|create_function)\s*\(\s*(base64_decode|gzinflate|gzuncompress|str_rot13|stripslashes|urldecode)?\s*\(?\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
    $e2 = /preg_replace\s*\(\s*['"][^'"]{1,64}\/e['"]\s*,\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
    $e3 = /\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,64}\]\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)/ nocase
  condition:
    $php and any of ($e*)
}

rule SOC_Webshell_PHP_Command_Request
{
  meta:
    id = "SOC-YARA-002"
    title = "PHP webshell: request input run as a system command"
    description = "system/exec/shell_exec/passthru/popen/proc_open on a request variable"
    category = "web-attack"
    subtype = "web trojan"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1505/003/"
  strings:
    $php = "<?" ascii
    $c1 = /(system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*\(\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
    $c2 = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,64}\]\s*`/ nocase
  condition:
    $php and any of ($c*)
}

rule SOC_Webshell_ASP_Eval_Request
{
  meta:
    id = "SOC-YARA-003"
    title = "ASP/ASP.NET webshell: request input executed"
    description = "Eval/Execute of Request(...) in classic ASP, or a shell started with request input in ASP.NET"
    category = "web-attack"
    subtype = "web trojan"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1505/003/"
  strings:
    $a1 = /\b(eval|execute|executeglobal)\s*\(?\s*request\s*(\.item|\.form|\.querystring)?\s*[\(\[]/ nocase
    $n1 = "Process.Start" nocase
    $n2 = "cmd.exe" nocase
    $n3 = /Request(\.Form|\.QueryString|\.Params)?\s*\[\s*"/ nocase
    $w1 = "WScript.Shell" nocase
    $w2 = /\.exec\s*\(\s*"?[^)]{0,40}request/ nocase
  condition:
    $a1 or ($n1 and $n2 and $n3) or ($w1 and $w2)
}

rule SOC_Webshell_JSP_Exec_Request
{
  meta:
    id = "SOC-YARA-004"
    title = "JSP webshell: request parameter run as a command"
    description = "Runtime.exec or ProcessBuilder fed from request.getParameter in a JSP page"
    category = "web-attack"
    subtype = "web trojan"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1505/003/"
  strings:
    $jsp = "<%" ascii
    $r = "request.getParameter" ascii
    $x1 = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(/ ascii
    $x2 = "new ProcessBuilder" ascii
  condition:
    $jsp and $r and any of ($x*)
}
