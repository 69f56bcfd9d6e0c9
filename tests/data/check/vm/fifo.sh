#!/bin/sh
# lvs_notify_fifo_script: copies what keepalived writes to the FIFO ($1).
exec cat "$1" >>/tmp/fifo.log
