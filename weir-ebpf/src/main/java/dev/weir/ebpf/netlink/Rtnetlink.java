package dev.weir.ebpf.netlink;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.weir.ebpf.BpfKernelException;
import dev.weir.ebpf.Errno;
import dev.weir.ebpf.netns.NetworkNamespace;

/**
 * rtnetlink ({@code NETLINK_ROUTE}) in one network namespace: what {@code ip link}, {@code ip addr} and
 * {@code ip route} do, without a process per command. Every request is acknowledged, and a refusal is a
 * {@link BpfKernelException} naming the request and what it was about (the interface), with the kernel's errno and
 * extended message: {@code RTM_NEWADDR(169.254.1.1/32 on lxc-x-a): EEXIST (17)}.
 *
 * <p>Opened for a namespace with {@link #open}: the socket is made on a thread inside it and stays there; then
 * usable from any thread (requests are serialized). {@link #close} releases it.
 */
public final class Rtnetlink implements AutoCloseable {

    private static final int NETLINK_ROUTE = 0;
    private static final int EIO = 5;
    private static final int ENODEV = 19;

    private final NetlinkSocket socket;

    private Rtnetlink(NetlinkSocket socket) {
        this.socket = socket;
    }

    /**
     * A socket in the namespace.
     *
     * @throws BpfKernelException when the kernel refuses the socket
     * @throws dev.weir.ebpf.netns.NetnsException when the namespace cannot be entered
     */
    public static Rtnetlink open(NetworkNamespace ns) {
        String where = ns.isCurrent() ? "the agent's network namespace" : "network namespace " + ns.name();
        return new Rtnetlink(ns.callUnchecked(() -> NetlinkSocket.open(NETLINK_ROUTE, where)));
    }

    /**
     * Creates the veth pair, its peer directly in the namespace of the file {@code peerNetns}; {@code up} brings
     * the near end up.
     *
     * @throws BpfKernelException EEXIST when an interface of that name exists
     */
    public void createVeth(Veth v, java.nio.file.Path peerNetns, boolean up) {
        int nsFd = NetlinkSocket.openNamespace(peerNetns);
        try {
            ack(RtMessages.newVeth(v, nsFd, up), "RTM_NEWLINK", "veth " + v.name() + ", peer " + v.peerName() + " in " + peerNetns);
        } finally {
            NetlinkSocket.closeFd(nsFd);
        }
    }

    /** The interface's index, or empty when there is none of that name. */
    public Optional<Integer> linkIndex(String name) {
        String object = name + " in " + socket.where();
        NetlinkReply r = socket.exchange(RtMessages.getLink(name), "RTM_GETLINK", object).getFirst();
        if (r.isError()) {
            if (Errno.of(r.errno()) == Errno.ENODEV) {
                return Optional.empty();
            }
            throw new BpfKernelException("RTM_GETLINK", object, r.errno(), r.extackMessage());
        }
        return Optional.of(r.payload().getInt(4));
    }

    /** The interface's index. @throws BpfKernelException ENODEV when there is none */
    public int requireIndex(String name) {
        return linkIndex(name).orElseThrow(() -> new BpfKernelException("RTM_GETLINK", name + " in " + socket.where(),
                ENODEV, "no such interface"));
    }

    /** Brings the interface up. */
    public void setUp(int index, String name) {
        ack(RtMessages.setUp(index), "RTM_NEWLINK", name + " up");
    }

    /**
     * Deletes the interface (a veth's peer goes with it).
     *
     * @return false when there was none of that name
     */
    public boolean deleteLink(String name) {
        String object = name + " in " + socket.where();
        NetlinkReply r = socket.exchange(RtMessages.deleteLink(name), "RTM_DELLINK", object).getLast();
        if (r.isError() && Errno.of(r.errno()) == Errno.ENODEV) {
            return false;
        }
        check(r, "RTM_DELLINK", object);
        return true;
    }

    /** Adds {@code address/prefix} to the interface; {@code nodad} skips IPv6 duplicate address detection. */
    public void addAddress(int index, String name, InetAddress address, int prefix, boolean nodad) {
        ack(RtMessages.addAddress(index, address, prefix, nodad), "RTM_NEWADDR",
                address.getHostAddress() + "/" + prefix + " on " + name);
    }

    /** Adds (or with {@link Route#replacing()} replaces) the route; {@code name} is its interface, for messages. */
    public void addRoute(Route route, String name) {
        ack(RtMessages.route(route), "RTM_NEWROUTE", (route.replace() ? "replace " : "") + route + " dev " + name);
    }

    /** Scope of an address valid on its link only (an IPv6 link-local address). */
    public static final int SCOPE_LINK = RtMessages.RT_SCOPE_LINK;

    /** An address on an interface of the namespace, with its scope ({@link #SCOPE_LINK}, ...). */
    public record Address(int index, InetAddress address, int prefix, int scope) {
    }

    /** Every address in the namespace, of both families. */
    public List<Address> addresses() {
        String object = "addresses in " + socket.where();
        List<Address> out = new ArrayList<>();
        for (NetlinkReply r : socket.exchange(RtMessages.dumpAddresses(RtMessages.AF_UNSPEC), "RTM_GETADDR", object)) {
            if (r.isError()) {
                check(r, "RTM_GETADDR", object);
            }
            if (r.type() != RtMessages.RTM_NEWADDR) {
                continue;
            }
            ByteBuffer p = r.payload();
            ByteBuffer local = r.attributes(RtMessages.IFADDRMSG).get(RtMessages.IFA_LOCAL);
            ByteBuffer addr = local != null ? local : r.attributes(RtMessages.IFADDRMSG).get(RtMessages.IFA_ADDRESS);
            if (addr != null) {
                out.add(new Address(p.getInt(4), address(addr), p.get(1) & 0xff, p.get(3) & 0xff));
            }
        }
        return out;
    }

    private static InetAddress address(ByteBuffer raw) {
        byte[] b = new byte[raw.limit()];
        raw.get(0, b);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address of " + b.length + " bytes from netlink", e);
        }
    }

    private void ack(NetlinkMessage request, String operation, String object) {
        check(socket.exchange(request, operation, object).getLast(), operation, object);
    }

    private static void check(NetlinkReply r, String operation, String object) {
        if (!r.isError()) {
            throw new BpfKernelException(operation, object, EIO, "no ACK (message type " + r.type() + ")");
        }
        if (r.errno() != 0) {
            throw new BpfKernelException(operation, object, r.errno(), r.extackMessage());
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
