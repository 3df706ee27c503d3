package dev.weir.ebpf.netlink;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The rtnetlink requests weir makes, built as iproute2 builds the same commands (so that what they create is what
 * {@code ip} would): links ({@code ifinfomsg}), addresses ({@code ifaddrmsg}), routes ({@code rtmsg}). Pure
 * functions; {@link Rtnetlink} sends them.
 */
public final class RtMessages {

    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_GETADDR = 22;
    static final int RTM_NEWROUTE = 24;

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;

    static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int IFF_UP = 0x1;

    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_MTU = 4;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_INFO_KIND = 1;
    static final int IFLA_INFO_DATA = 2;
    static final int IFLA_NET_NS_FD = 28;
    static final int IFLA_EXT_MASK = 29;
    static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    static final int VETH_INFO_PEER = 1;

    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_F_NODAD = 0x02;

    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_PREFSRC = 7;
    static final int RT_TABLE_MAIN = 254;
    static final int RTPROT_BOOT = 3;
    static final int RTN_UNICAST = 1;
    public static final int RT_SCOPE_UNIVERSE = 0;
    public static final int RT_SCOPE_LINK = 253;

    /** {@code sizeof(struct ifinfomsg)}, {@code ifaddrmsg}, {@code rtmsg}. */
    static final int IFINFOMSG = 16;
    static final int IFADDRMSG = 8;
    static final int RTMSG = 12;

    private RtMessages() {
    }

    /**
     * {@code ip link add NAME address MAC mtu M [up] type veth peer name PEER address PMAC mtu M netns FD}: the peer is
     * made directly in the namespace of {@code peerNetnsFd}; {@code up} brings the first end up at creation.
     */
    public static NetlinkMessage newVeth(Veth v, int peerNetnsFd, boolean up) {
        NetlinkMessage m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        ifinfo(m, 0, up ? IFF_UP : 0, up ? IFF_UP : 0);
        end(m, v.name(), v.mac(), v.mtu());
        m.begin(IFLA_LINKINFO).attrString(IFLA_INFO_KIND, "veth").begin(IFLA_INFO_DATA).begin(VETH_INFO_PEER);
        ifinfo(m, 0, 0, 0);
        end(m, v.peerName(), v.peerMac(), v.mtu());
        m.attrU32(IFLA_NET_NS_FD, peerNetnsFd);
        return m.end().end().end();
    }

    private static void end(NetlinkMessage m, String name, byte[] mac, Integer mtu) {
        m.attrString(IFLA_IFNAME, name);
        if (mac != null) {
            m.attr(IFLA_ADDRESS, mac);
        }
        if (mtu != null) {
            m.attrU32(IFLA_MTU, mtu);
        }
    }

    /** {@code ip link show dev NAME}, without the statistics. */
    public static NetlinkMessage getLink(String name) {
        NetlinkMessage m = new NetlinkMessage(RTM_GETLINK, NLM_F_REQUEST);
        ifinfo(m, 0, 0, 0);
        return m.attrString(IFLA_IFNAME, name).attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    }

    /** {@code ip link set dev INDEX up}. */
    public static NetlinkMessage setUp(int index) {
        NetlinkMessage m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
        return ifinfo(m, index, IFF_UP, IFF_UP);
    }

    /** {@code ip link del NAME}. */
    public static NetlinkMessage deleteLink(String name) {
        NetlinkMessage m = new NetlinkMessage(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
        return ifinfo(m, 0, 0, 0).attrString(IFLA_IFNAME, name);
    }

    /** {@code ip addr add ADDRESS/PREFIX dev INDEX [nodad]} (scope global, as iproute2 gives a non-loopback address). */
    public static NetlinkMessage addAddress(int index, InetAddress address, int prefix, boolean nodad) {
        NetlinkMessage m = new NetlinkMessage(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        m.u8(family(address)).u8(prefix).u8(nodad ? IFA_F_NODAD : 0).u8(RT_SCOPE_UNIVERSE).u32(index);
        return m.attr(IFA_LOCAL, address.getAddress()).attr(IFA_ADDRESS, address.getAddress());
    }

    /** {@code ip addr show}: every address of the family ({@link #AF_UNSPEC} for both) in the namespace. */
    public static NetlinkMessage dumpAddresses(int family) {
        NetlinkMessage m = new NetlinkMessage(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
        return m.u8(family).u8(0).u8(0).u8(0).u32(0);
    }

    /**
     * {@code ip route add|replace} in the main table, protocol boot, as iproute2 makes it: scope link without a
     * gateway, universe with one.
     */
    public static NetlinkMessage route(Route r) {
        int flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (r.replace() ? NLM_F_REPLACE : NLM_F_EXCL);
        NetlinkMessage m = new NetlinkMessage(RTM_NEWROUTE, flags);
        int scope = r.gateway() == null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        m.u8(family(r.destination())).u8(r.prefix()).u8(0).u8(0)
                .u8(RT_TABLE_MAIN).u8(RTPROT_BOOT).u8(scope).u8(RTN_UNICAST).u32(0);
        if (r.prefix() > 0) {
            m.attr(RTA_DST, r.destination().getAddress());
        }
        if (r.gateway() != null) {
            m.attr(RTA_GATEWAY, r.gateway().getAddress());
        }
        m.attrU32(RTA_OIF, r.index());
        if (r.source() != null) {
            m.attr(RTA_PREFSRC, r.source().getAddress());
        }
        return m;
    }

    private static NetlinkMessage ifinfo(NetlinkMessage m, int index, int flags, int change) {
        return m.u8(AF_UNSPEC).u8(0).u16(0).u32(index).u32(flags).u32(change);
    }

    static int family(InetAddress a) {
        return a instanceof Inet6Address ? AF_INET6 : AF_INET;
    }
}
