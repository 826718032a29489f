#!/bin/sh
# Runs INSIDE the throwaway Debian root made by install_throwaway_root.sh (as
# /tmp/check.sh, PID 1 of a private PID namespace, in a private network
# namespace, without CAP_SYS_TIME). A new user's steps with meridian-ntp:
# install, service ntpd start, synchronised, reload, stop, remove, purge.
# Prints "ok: ..." per check; the first failure prints "FAIL: ..." and exits 1.
set -eu
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
ok() { echo "ok: $*"; }
die() {
	echo "FAIL: $*"
	[ -f /var/log/ntpd.log ] && tail -n 20 /var/log/ntpd.log
	exit 1
}
step() { echo "---- \$ $*"; }

# Bounded wait: wait_until SECONDS CMD... retries CMD once a second.
wait_until() {
	limit=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt "$limit" ] || return 1
		sleep 1
	done
}

step dpkg -i meridian-ntp.deb
dpkg -i /tmp/meridian-ntp.deb || die "dpkg -i failed"
ok "dpkg -i installed $(dpkg-query -W -f='${Package} ${Version}' meridian-ntp)"
for f in /usr/sbin/ntpd /usr/sbin/ntpdate /usr/bin/ntpq /usr/bin/ntpstat /usr/sbin/chkconfig \
	/etc/init.d/ntpd; do
	[ -x "$f" ] || die "$f missing or not executable"
done
for f in /etc/ntp.conf /etc/default/ntpd /lib/systemd/system/ntpd.service \
	/usr/share/man/man8/ntpd.8.gz /usr/share/man/man5/ntp.conf.5.gz; do
	[ -f "$f" ] || die "$f missing"
done
ok "binaries, configuration, unit, init script and man pages installed"
getent passwd ntp >/dev/null || die "no ntp user"
getent group ntp >/dev/null || die "no ntp group"
[ "$(getent passwd ntp | cut -d: -f3)" -lt 1000 ] || die "ntp is not a system user"
ok "ntp system user: $(getent passwd ntp)"
[ "$(stat -c %U:%G /var/lib/ntp)" = ntp:ntp ] || die "/var/lib/ntp is $(stat -c %U:%G /var/lib/ntp)"
ok "/var/lib/ntp owned by ntp:ntp"
ls /etc/rc2.d/S*ntpd >/dev/null 2>&1 || die "no SysV start link in /etc/rc2.d"
ls /etc/rc0.d/K*ntpd >/dev/null 2>&1 || die "no SysV stop link in /etc/rc0.d"
ok "SysV links: $(ls /etc/rc2.d/S*ntpd) $(ls /etc/rc0.d/K*ntpd)"
[ -L /etc/systemd/system/multi-user.target.wants/ntpd.service ] || die "ntpd.service not enabled"
[ -L /etc/systemd/system/ntp.service ] || die "alias ntp.service missing"
ok "systemd: ntpd.service enabled, alias ntp.service"

# The classic guide's first line, on Debian: our chkconfig maps it onto
# update-rc.d (SysV links) and deb-systemd-helper (the unit), or systemctl.
step chkconfig ntpd off / on
[ -x /usr/sbin/chkconfig ] || die "/usr/sbin/chkconfig missing"
chkconfig ntpd || die "chkconfig ntpd: not enabled after install"
chkconfig --list ntpd | grep -q '3:on' || die "chkconfig --list ntpd: $(chkconfig --list ntpd)"
chkconfig ntpd off || die "chkconfig ntpd off failed"
if chkconfig ntpd; then die "chkconfig ntpd: still enabled after off"; fi
ls /etc/rc2.d/S*ntpd >/dev/null 2>&1 && die "SysV start link left after chkconfig ntpd off"
[ -L /etc/systemd/system/multi-user.target.wants/ntpd.service ] &&
	die "ntpd.service still wanted after chkconfig ntpd off"
listed=$(chkconfig --list ntpd)
ok "chkconfig ntpd off: $listed"
chkconfig ntpd on || die "chkconfig ntpd on failed"
chkconfig ntpd || die "chkconfig ntpd: not enabled after on"
ls /etc/rc2.d/S*ntpd >/dev/null 2>&1 || die "no SysV start link after chkconfig ntpd on"
[ -L /etc/systemd/system/multi-user.target.wants/ntpd.service ] ||
	die "ntpd.service not wanted after chkconfig ntpd on"
ok "chkconfig ntpd on: $(chkconfig --list ntpd)"
if chkconfig no-such-service on 2>/dev/null; then die "chkconfig accepted an unknown service"; fi
ok "chkconfig refuses an unknown service"
[ ! -e /run/ntpd.pid ] || die "the postinst started ntpd despite policy-rc.d"
ok "postinst started nothing (policy-rc.d 101)"
ntpd --check -c /etc/ntp.conf || die "installed /etc/ntp.conf fails ntpd --check"
ok "installed /etc/ntp.conf passes ntpd --check"

step configure: virtual clock 0.3 s off, upstream 127.0.0.1:11123
sed -i "s/^NTPD_OPTS=.*/NTPD_OPTS='-g --clock virtual --clock-offset 0.3'/" /etc/default/ntpd
sed -i 's/^pool /#pool /' /etc/ntp.conf
printf 'server 127.0.0.1 port 11123 iburst\nlogfile /var/log/ntpd.log\n' >>/etc/ntp.conf

step service ntpd start
service ntpd start || die "service ntpd start failed"
[ -s /run/ntpd.pid ] || die "no /run/ntpd.pid"
pid=$(cat /run/ntpd.pid)
[ "$(cat "/proc/$pid/comm")" = ntpd ] || die "pidfile names $pid, not ntpd"
ok "service ntpd start: ntpd pid $pid, args: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
service ntpd status || die "status after start"
ok "service ntpd status: 0"

step ntpstat
wait_until 30 ntpstat || die "ntpstat: not synchronised within 30 s"
ok "ntpstat: synchronised"
ntpq -pn || die "ntpq -pn failed"
ok "ntpq -pn answered"

step service ntpd reload
service ntpd reload || die "reload failed"
sleep 1
kill -0 "$pid" 2>/dev/null || die "ntpd exited on reload"
ok "service ntpd reload: pid $pid still runs"

step service ntpd stop
service ntpd stop || die "stop failed"
wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || die "ntpd $pid still runs after stop"
[ ! -e /run/ntpd.pid ] || die "pidfile left after stop"
rc=0
service ntpd status || rc=$?
[ $rc -eq 3 ] || die "status after stop: $rc (want 3)"
ok "service ntpd stop: process and pidfile gone, status 3"

step dpkg -i again: the upgrade path of the maintainer scripts
dpkg -i --force-confold /tmp/meridian-ntp.deb || die "reinstall failed"
ok "reinstall (postinst configure with a previous version)"

step dpkg --remove meridian-ntp
dpkg --remove meridian-ntp || die "remove failed"
[ ! -e /usr/sbin/ntpd ] || die "/usr/sbin/ntpd left after remove"
[ -f /etc/ntp.conf ] || die "remove deleted the conffile /etc/ntp.conf"
ok "remove: binaries gone, conffiles kept"

step dpkg --purge meridian-ntp
dpkg --purge meridian-ntp || die "purge failed"
for f in /etc/ntp.conf /etc/default/ntpd /etc/init.d/ntpd /var/lib/ntp /var/log/ntpstats \
	/etc/systemd/system/multi-user.target.wants/ntpd.service /etc/systemd/system/ntp.service; do
	if [ -e "$f" ] || [ -L "$f" ]; then die "$f left after purge"; fi
done
! ls /etc/rc*.d/*ntpd >/dev/null 2>&1 || die "SysV links left after purge: $(ls /etc/rc*.d/*ntpd)"
if dpkg-query -W -f='${Status}' meridian-ntp 2>/dev/null | grep -qv not-installed; then
	die "dpkg still knows meridian-ntp"
fi
ok "purge: configuration, state, links and logs gone"
echo "check.sh: all steps passed"
