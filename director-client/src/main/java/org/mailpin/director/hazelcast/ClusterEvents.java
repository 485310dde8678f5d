package org.mailpin.director.hazelcast;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

import org.mailpin.director.ClusterEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.Ringbuffer;

/**
 * The recent events of the whole cluster in a Hazelcast ring buffer: the newest
 * {@link #CAPACITY} are kept, older ones are overwritten. {@link #record} catches its own
 * failures, so a lost event costs the dashboard a line but never fails the operation it describes.
 */
public final class ClusterEvents {

    /** Events kept; Hazelcast's default ring buffer capacity, at about 200 bytes an event. */
    public static final int CAPACITY = 10_000;

    private static final Logger log = LoggerFactory.getLogger(ClusterEvents.class);

    private final Ringbuffer<String> events;
    private final String node;
    private final InstantSource clock;

    public ClusterEvents(HazelcastInstance hazelcast, String node, InstantSource clock) {
        this.events = hazelcast.getRingbuffer(MapNames.EVENTS);
        this.node = node;
        this.clock = clock;
    }

    public void record(String type, String subject, String detail) {
        String line = String.join("\t", Long.toString(clock.instant().toEpochMilli()), node, type, subject,
                detail.replace('\t', ' ').replace('\n', ' '));
        try {
            events.addAsync(line, OverflowPolicy.OVERWRITE);
        } catch (RuntimeException e) {
            log.debug("recording event {} {} failed: {}", type, subject, e.toString());
        }
    }

    /** Returns up to {@code max} of the newest events, newest first. */
    public List<ClusterEvent> recent(int max) {
        long tail = events.tailSequence();
        long head = Math.max(events.headSequence(), tail - max + 1);
        List<ClusterEvent> recent = new ArrayList<>();
        for (long sequence = tail; sequence >= head && sequence >= 0; sequence--) {
            try {
                recent.add(decode(events.readOne(sequence)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                // Overwritten between reading the head and this item: the older events are gone.
                break;
            }
        }
        return recent;
    }

    private static ClusterEvent decode(String line) {
        String[] f = line.split("\t", 5);
        return new ClusterEvent(Instant.ofEpochMilli(Long.parseLong(f[0])), f[1], f[2], f[3], f.length > 4 ? f[4] : "");
    }
}
