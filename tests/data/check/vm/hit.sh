#!/bin/sh
# A connection to the listener on port $1 (tests/vm/check-cases.sh `listen`).
echo x >>"/tmp/hits.$1"
