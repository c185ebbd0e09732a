# interfaces of docker-legacy-01: public eth0 with the default route, docker0 and one user bridge
ip link add eth0 type veth peer name peer0
ip link set eth0 address 52:54:00:3a:81:0c
ip addr add 203.0.113.21/24 dev eth0
ip -6 addr add 2001:db8:21::21/64 dev eth0 nodad
ip link add docker0 type bridge
ip link set docker0 address 02:42:5e:1d:7a:90
ip addr add 172.17.0.1/16 dev docker0
ip link add br-3f1c9a7d2e41 type bridge
ip link set br-3f1c9a7d2e41 address 02:42:c0:8e:11:4b
ip addr add 172.18.0.1/16 dev br-3f1c9a7d2e41
ip link add veth6f2a1c0 type veth peer name peer1
ip link set veth6f2a1c0 master docker0
for i in lo eth0 peer0 docker0 br-3f1c9a7d2e41 veth6f2a1c0 peer1; do ip link set $i up; done
ip route add default via 203.0.113.1 dev eth0 proto static
