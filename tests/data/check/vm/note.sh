#!/bin/sh
# A notify script: appends its arguments to /tmp/notes.log.
echo "$*" >>/tmp/notes.log
