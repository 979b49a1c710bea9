/*
 * socagent: the EICAR anti-virus test file — the harmless way to check
 * that scanning and drafting work end to end. The test files are made by
 * the tests, not kept in the tree.
 */

rule SOC_EICAR_Test_File
{
  meta:
    id = "SOC-YARA-005"
    title = "EICAR anti-virus test file"
    description = "The EICAR test string: a check of the detection chain, not malware"
    category = "intrusion"
    subtype = "malware implanted"
    impact = "tamper"
    severity = "minor"
    reference = "https://www.eicar.org/download-anti-malware-testfile/"
  strings:
    $eicar = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*" ascii
    $head = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" ascii
  condition:
    $head at 0 and $eicar and filesize < 128
}
