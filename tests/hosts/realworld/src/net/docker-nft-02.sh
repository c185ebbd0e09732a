# interfaces of docker-nft-02: public eth0 (default route), private eth1, docker0, a compose bridge
ip link add eth0 type veth peer name peer0
ip link set eth0 address 52:54:00:7c:02:40
ip addr add 203.0.113.40/24 dev eth0
ip link add eth1 type veth peer name peer1
ip link set eth1 address 52:54:00:7c:02:41
ip addr add 10.30.0.12/24 dev eth1
ip link add docker0 type bridge
ip link set docker0 address 02:42:9a:44:0e:11
ip addr add 172.17.0.1/16 dev docker0
ip link add br-6c2d41a09e77 type bridge
ip link set br-6c2d41a09e77 address 02:42:61:d3:5b:07
ip addr add 172.18.0.1/16 dev br-6c2d41a09e77
ip link add veth0b1c2d3 type veth peer name peer2
ip link set veth0b1c2d3 master br-6c2d41a09e77
ip link add veth9e8f7a6 type veth peer name peer3
ip link set veth9e8f7a6 master br-6c2d41a09e77
for i in lo eth0 peer0 eth1 peer1 docker0 br-6c2d41a09e77 veth0b1c2d3 peer2 veth9e8f7a6 peer3; do ip link set $i up; done
ip route add default via 203.0.113.1 dev eth0 proto static
ip route add 10.0.0.0/8 via 10.30.0.1 dev eth1 proto static
