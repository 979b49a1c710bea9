include "/etc/passwd"
rule x { condition: true }
