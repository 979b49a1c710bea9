#!/bin/sh
# test sample
curl -fsSL http://127.0.0.1/x.sh | sh
