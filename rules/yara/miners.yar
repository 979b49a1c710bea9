/*
 * socagent: coin miners — configs and binaries of XMRig and its kind, and
 * scripts that start them against a mining pool.
 */

rule SOC_Miner_Stratum_Pool
{
  meta:
    id = "SOC-YARA-011"
    title = "Coin miner: mining pool over stratum"
    description = "A stratum+tcp/ssl pool URL together with a miner's options or wallet"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1496/"
  strings:
    $s1 = "stratum+tcp://" nocase ascii wide
    $s2 = "stratum+ssl://" nocase ascii wide
    $s3 = "stratum2+tcp://" nocase ascii wide
    $o1 = "--donate-level" ascii wide
    $o2 = "\"donate-level\"" ascii wide
    $o3 = "--cpu-priority" ascii wide
    $o4 = /(-u|--user|"user")\s*[:= ]\s*"?4[0-9AB][1-9A-HJ-NP-Za-km-z]{93}/ ascii
    $o5 = "--max-cpu-usage" ascii wide
    $o6 = "\"algo\"" ascii wide
  condition:
    any of ($s*) and any of ($o*)
}

rule SOC_Miner_XMRig
{
  meta:
    id = "SOC-YARA-012"
    title = "Coin miner: XMRig"
    description = "XMRig's own strings (banner, config keys) in a binary or config"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "severe"
    reference = "https://attack.mitre.org/techniques/T1496/"
  strings:
    $x1 = "xmrig" nocase ascii wide
    $k1 = "randomx" nocase ascii wide
    $k2 = "cryptonight" nocase ascii wide
    $k3 = "\"donate-level\"" ascii
    $k4 = "mining.subscribe" ascii
    $k5 = "nicehash" nocase ascii
  condition:
    $x1 and 2 of ($k*)
}
