import "pe"
rule r : t1 t2 { meta: a = 1 b = true c = "s" strings: $h = { 4D 5A ?? [2-4] 00 } $r = /ab+c/ condition: any of them or pe.number_of_sections > 1 }
