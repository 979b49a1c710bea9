/*
 * socagent: the EICAR anti-virus test file — the harmless way to check
 * that scanning and drafting work end to end. The test files are made by
 * the tests, not kept in the tree.
 *
 * As a file it is the EICAR definition: the string at offset 0 of a file
 * of fewer than 128 bytes. In traffic (agent/netscan.c: filetype "stream"
 * for the first bytes of a TCP direction, "http-body" for an HTTP body)
 * the file travels inside a protocol (an SMB read, a multipart upload), so
 * there the whole 68-byte string anywhere is the test file.
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
    $whole = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*" ascii
  condition:
    ($head at 0 and $eicar and filesize < 128) or
    ((filetype == "stream" or filetype == "http-body") and $whole)
}
