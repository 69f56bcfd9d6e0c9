#!/bin/sh
# An SMTP server for one connection (nc -e): /tmp/smtp.mode says how it
# answers: ok, 554 (a refusing banner) or 502 (HELO refused).
mode=$(cat /tmp/smtp.mode 2>/dev/null)
if [ "$mode" = 554 ]; then
    printf '554 vm no service\r\n'
    exit 0
fi
printf '220 vm ESMTP\r\n'
read -r _helo
if [ "$mode" = 502 ]; then
    printf '502 vm HELO not implemented\r\n'
    exit 0
fi
printf '250 vm\r\n'
read -r _quit
printf '221 vm bye\r\n'
