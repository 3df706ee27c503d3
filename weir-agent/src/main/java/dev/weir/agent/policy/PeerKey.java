package dev.weir.agent.policy;

/** A compiled peer: an identity (0 any) and optionally the one address family it is restricted to. */
record PeerKey(int identity, Integer family) implements Comparable<PeerKey> {

    static final PeerKey ANY = new PeerKey(0, null);

    @Override
    public int compareTo(PeerKey o) {
        int c = Integer.compare(identity, o.identity);
        return c != 0 ? c : Integer.compare(family == null ? 0 : family, o.family == null ? 0 : o.family);
    }
}
