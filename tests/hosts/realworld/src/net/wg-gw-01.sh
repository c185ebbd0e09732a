# interfaces of wg-gw-01: public eth0 (default route, v4 and v6), wg0 for the peers
ip link add eth0 type veth peer name peer0
ip link set eth0 address 52:54:00:5b:60:01
ip addr add 203.0.113.60/24 dev eth0
ip -6 addr add 2001:db8:60::1/64 dev eth0 nodad
ip tuntap add wg0 mode tun
ip link set wg0 mtu 1420
ip addr add 10.8.0.1/24 dev wg0
for i in lo eth0 peer0 wg0; do ip link set $i up; done
ip route add default via 203.0.113.1 dev eth0 proto static
ip -6 route add default via 2001:db8:60::fffe dev eth0 proto static
