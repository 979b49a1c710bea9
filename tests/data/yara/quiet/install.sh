#!/bin/sh
# downloads a release, checks it, then installs it: no pipe into a shell
curl -fsSLo /tmp/tool.tar.gz https://127.0.0.1/tool.tar.gz
sha256sum -c /tmp/tool.tar.gz.sha256
tar -xzf /tmp/tool.tar.gz -C /opt
