#!/bin/sh
# A notify script for scripts.conf: appends its arguments to /tmp/scripts.log.
echo "$*" >>/tmp/scripts.log
