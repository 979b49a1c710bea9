# Shared by the pcap tests: the Suricata captures of tests/data/pcap that
# carry no EICAR, as pcap inputs of an agent.yaml (under "inputs:").
suricata_clean_inputs() { # PCAP-DIR
  cat <<YAML
  - { type: pcap, id: http-headers, file: $1/http-all-headers/input.pcap }
  - { type: pcap, id: http-pdf, file: $1/filemagic-flowbits/pdf-dl.pcap }
  - { type: pcap, id: http-brotli, file: $1/http-brotli-ce/input.pcap }
  - { type: pcap, id: dns-tcp, file: $1/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap }
  - { type: pcap, id: tls-alpn, file: $1/tls-alpn-log-detect-02/input.pcap }
  - { type: pcap, id: ssh, file: $1/ssh-hassh/input.pcap }
YAML
}
