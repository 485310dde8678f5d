package org.mailpin.director.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.mailpin.director.Backend;
import org.mailpin.director.IpAddresses;

/**
 * An immutable consistent-hash ring that maps users to backends exactly as Dovecot 2.3's director
 * does, so a site that replaces Dovecot's director keeps every user on the same backend.
 *
 * <p>Design, from Dovecot 2.3.19's {@code src/director/mail-host.c}: every up backend with
 * {@code vhosts > 0} contributes {@code vhosts} points, point {@code i} at the first 4 bytes of
 * MD5 of {@code "<ip>-<i>"}. Points are sorted by hash, then by address bytes (IPv4 before IPv6),
 * so every director builds the same order even when two points collide. A user maps to the point
 * that Dovecot's {@code bsearch_insert_pos} finds for the user hash: an exact match where the
 * binary search meets one, otherwise the first point above the hash, wrapping to the first point.
 * The binary search is reproduced step by step because on an exact collision it returns whichever
 * equal point it meets first, not necessarily the lowest one. There is one ring per tag.
 *
 * <p>Build one per change of the backend list and share it between threads; lookups allocate
 * nothing but the MD5 of the user.
 */
public final class DovecotRing {

    private final Map<String, TagRing> rings;

    private DovecotRing(Map<String, TagRing> rings) {
        this.rings = rings;
    }

    /** Builds the rings for every tag from the given backends; down or vhosts-0 backends get no points. */
    public static DovecotRing of(Collection<Backend> backends) {
        Map<String, List<Point>> pointsByTag = new HashMap<>();
        for (Backend backend : backends) {
            pointsByTag.computeIfAbsent(backend.tag(), tag -> new ArrayList<>());
            if (!backend.usable() || backend.vhosts() == 0) {
                continue;
            }
            byte[] sortKey = IpAddresses.sortKey(backend.address());
            for (int i = 0; i < backend.vhosts(); i++) {
                long hash = RingHash.pointHash(backend.address(), i);
                pointsByTag.get(backend.tag()).add(new Point(hash, sortKey, backend));
            }
        }

        Map<String, TagRing> rings = new HashMap<>();
        pointsByTag.forEach((tag, points) -> rings.put(tag, TagRing.sorted(points)));
        return new DovecotRing(rings);
    }

    /** Returns the backend for a ring key in the default tag, or empty when the ring has no points. */
    public Optional<Backend> lookup(String ringKey) {
        return lookup(ringKey, "");
    }

    /** Returns the backend for a ring key in the given tag, or empty when that tag has no points. */
    public Optional<Backend> lookup(String ringKey, String tag) {
        return lookupHash(RingHash.userHash(ringKey), tag);
    }

    /** Returns the backend for an already computed user hash (unsigned 32-bit value). */
    public Optional<Backend> lookupHash(long userHash, String tag) {
        TagRing ring = rings.get(tag == null ? "" : tag);
        if (ring == null || ring.hashes.length == 0) {
            return Optional.empty();
        }
        return Optional.of(ring.backends[ring.indexFor(userHash)]);
    }

    /** Returns how many points a tag's ring has in all. */
    public int pointCount(String tag) {
        TagRing ring = rings.get(tag);
        return ring == null ? 0 : ring.hashes.length;
    }

    private record Point(long hash, byte[] sortKey, Backend backend) {
    }

    private static final class TagRing {
        private static final Comparator<Point> ORDER = Comparator.comparingLong(Point::hash)
                .thenComparing(Point::sortKey, Arrays::compareUnsigned);

        private final long[] hashes;
        private final Backend[] backends;

        private TagRing(long[] hashes, Backend[] backends) {
            this.hashes = hashes;
            this.backends = backends;
        }

        static TagRing sorted(List<Point> points) {
            points.sort(ORDER);
            long[] hashes = new long[points.size()];
            Backend[] backends = new Backend[points.size()];
            for (int i = 0; i < points.size(); i++) {
                hashes[i] = points.get(i).hash();
                backends[i] = points.get(i).backend();
            }
            return new TagRing(hashes, backends);
        }

        // Dovecot's bsearch_insert_pos, including its choice among equal hashes.
        int indexFor(long userHash) {
            int left = 0;
            int right = hashes.length;
            int index = 0;
            while (left < right) {
                index = (left + right) >>> 1;
                if (userHash > hashes[index]) {
                    left = index + 1;
                } else if (userHash < hashes[index]) {
                    right = index;
                } else {
                    return index;
                }
            }
            if (left > index) {
                index++;
            }
            return index == hashes.length ? 0 : index;
        }
    }
}
