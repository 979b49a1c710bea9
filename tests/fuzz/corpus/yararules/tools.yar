/*
 * socagent: common attack tools dropped on servers — credential dumpers
 * and their PowerShell wrappers. Strings that the tools print or need,
 * several together, so a page that merely names a tool stays quiet.
 */

rule SOC_Tool_Mimikatz
{
  meta:
    id = "SOC-YARA-009"
    title = "Mimikatz credential dumper"
    description = "Mimikatz module commands and author strings (binary, script or Invoke-Mimikatz)"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/software/S0002/"
  strings:
    $m1 = "sekurlsa::logonpasswords" nocase ascii wide
    $m2 = "lsadump::sam" nocase ascii wide
    $m3 = "lsadump::dcsync" nocase ascii wide
    $m4 = "privilege::debug" nocase ascii wide
    $m5 = "kerberos::golden" nocase ascii wide
    $a1 = "gentilkiwi" ascii wide
    $a2 = "Benjamin DELPY" ascii wide
    $a3 = "Invoke-Mimikatz" nocase ascii wide
    $a4 = "mimikatz" nocase ascii wide
  condition:
    2 of ($m*) and any of ($a*)
}

rule SOC_Tool_Webshell_Manager_Client
{
  meta:
    id = "SOC-YARA-010"
    title = "Webshell manager payload (China Chopper / AntSword / Behinder style)"
    description = "The one-line server side that webshell managers talk to: eval of a POST field with a fixed short password"
    category = "web-attack"
    subtype = "web trojan"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/software/S0020/"
  strings:
    $cc1 = /<%@\s*Page\s+Language\s*=\s*"Jscript"\s*%>\s*<%\s*eval\s*\(\s*Request\.Item\s*\[/ nocase
    $cc2 = /<\?php\s+@?eval\s*\(\s*\$_POST\s*\[\s*['"][A-Za-z0-9]{1,16}['"]\s*\]\s*\)\s*;?\s*\?>/ nocase
    $bh1 = "e45e329feb5d925b" ascii
    $bh2 = /Cipher\.getInstance\s*\(\s*"AES"\s*\)/ ascii
    $bh3 = "defineClass" ascii
  condition:
    filesize < 4KB and (any of ($cc*) or ($bh1 and $bh2) or ($bh2 and $bh3 and $bh1))
}
