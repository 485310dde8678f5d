package org.mailpin.director.hazelcast;

import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;

/**
 * Asks every gateway node a question and collects the replies, for facts that only each node
 * has, such as its live proxied connections.
 *
 * <p>The asking node publishes the request on the {@link MapNames#QUERIES} topic. Every other node
 * runs its handler for the request's kind and writes the reply into the
 * {@link MapNames#QUERY_REPLIES} map under {@code requestId "\t" node}, with a time to live of
 * {@link #REPLY_TTL}. The asker replies for itself without the round trip. It waits until every
 * node listed in {@link MapNames#NODES} has replied, or until the wait ends, and reports the
 * nodes that did not reply. A Hazelcast client uses topics and maps as a member does, so this
 * works in client mode and needs neither an executor service nor Mailpin classes on the members.
 */
public final class ClusterQueries implements AutoCloseable {

    /** Maximum time that the gateway lets {@link #ask} wait for the other nodes' replies. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(1);

    // Long enough for the asker's final read after its wait ends, short enough that an unread
    // reply leaves the map soon.
    static final Duration REPLY_TTL = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(ClusterQueries.class);

    private final String node;
    private final ITopic<String> requests;
    private final IMap<String, String> replies;
    private final IMap<String, String> nodes;
    private final Map<String, UnaryOperator<String>> handlers = new ConcurrentHashMap<>();
    private final Map<String, BlockingQueue<Map.Entry<String, String>>> pending = new ConcurrentHashMap<>();
    private final UUID requestListener;
    private final UUID replyListener;

    /**
     * Starts replying to requests from other nodes.
     *
     * @param node this gateway node's name, as it appears in {@link MapNames#NODES}
     * @throws IllegalArgumentException when the node name is empty or contains a tab
     */
    public ClusterQueries(HazelcastInstance hazelcast, String node) {
        if (node.isEmpty() || node.indexOf('\t') >= 0) {
            throw new IllegalArgumentException("invalid node name '" + node + "': it must not be empty or contain a tab");
        }
        this.node = node;
        this.requests = hazelcast.getTopic(MapNames.QUERIES);
        this.replies = hazelcast.getMap(MapNames.QUERY_REPLIES);
        this.nodes = hazelcast.getMap(MapNames.NODES);
        this.replyListener = replies.addEntryListener((EntryAddedListener<String, String>) this::replyArrived, true);
        this.requestListener = requests.addMessageListener(this::requestArrived);
    }

    /**
     * Registers the handler that computes this node's reply to requests of {@code kind}. It gets
     * the request's argument and returns the reply text. It runs on a virtual thread and may
     * block briefly, but every moment it takes counts against the asker's wait.
     */
    public void register(String kind, UnaryOperator<String> handler) {
        if (kind.isEmpty() || kind.indexOf('\t') >= 0) {
            throw new IllegalArgumentException("invalid query kind '" + kind + "': it must not be empty or contain a tab");
        }
        handlers.put(kind, handler);
    }

    /**
     * Sends a request to every node and returns the replies that arrived within {@code wait}.
     * The nodes queried are this node and every node in {@link MapNames#NODES}, read when the
     * request starts. A reply from a node outside that list is kept as well.
     *
     * @throws IllegalArgumentException when the kind is empty or contains a tab
     */
    public Replies ask(String kind, String argument, Duration wait) {
        if (kind.isEmpty() || kind.indexOf('\t') >= 0) {
            throw new IllegalArgumentException("invalid query kind '" + kind + "': it must not be empty or contain a tab");
        }
        long deadline = System.nanoTime() + wait.toNanos();
        String requestId = UUID.randomUUID().toString();
        SortedMap<String, String> received = new TreeMap<>();
        SortedSet<String> queried = new TreeSet<>(nodes.keySet());
        queried.add(node);

        // Registered before the request goes out, so no reply can arrive unseen.
        BlockingQueue<Map.Entry<String, String>> arrivals = new LinkedBlockingQueue<>();
        pending.put(requestId, arrivals);
        try {
            requests.publish(String.join("\t", requestId, node, kind, argument));
            String own = reply(kind, argument);
            if (own != null) {
                received.put(node, own);
            }
            collect(requestId, arrivals, queried, received, deadline);
        } finally {
            pending.remove(requestId);
        }

        SortedSet<String> missing = new TreeSet<>(queried);
        missing.removeAll(received.keySet());
        queried.addAll(received.keySet());
        return new Replies(Collections.unmodifiableSortedMap(received), Collections.unmodifiableSortedSet(queried),
                Collections.unmodifiableSortedSet(missing));
    }

    private void collect(String requestId, BlockingQueue<Map.Entry<String, String>> arrivals, Set<String> queried,
                         Map<String, String> received, long deadline) {
        while (!received.keySet().containsAll(queried)) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            Map.Entry<String, String> arrival;
            try {
                arrival = arrivals.poll(remaining, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (arrival != null) {
                received.put(arrival.getKey(), arrival.getValue());
            }
        }

        // An entry event can trail the entry itself, so the replies still missing are read once more.
        Set<String> keys = new HashSet<>();
        for (String missingNode : queried) {
            if (!received.containsKey(missingNode)) {
                keys.add(key(requestId, missingNode));
            }
        }
        if (!keys.isEmpty()) {
            replies.getAll(keys).forEach((key, value) -> received.put(key.substring(key.indexOf('\t') + 1), value));
        }
    }

    private void requestArrived(Message<String> message) {
        String[] fields = message.getMessageObject().split("\t", 4);
        if (fields.length != 4) {
            log.warn("ignoring an unreadable cluster query: expected request id, node, kind and argument "
                    + "separated by tabs");
            return;
        }
        String requestId = fields[0];
        String askingNode = fields[1];
        if (askingNode.equals(node)) {
            return;
        }
        // Event threads must not wait on map calls, so the reply is computed and written elsewhere.
        Thread.ofVirtual().name("mailpin-query-reply").start(() -> {
            String reply = reply(fields[2], fields[3]);
            if (reply == null) {
                return;
            }
            try {
                replies.set(key(requestId, node), reply, REPLY_TTL.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                log.warn("writing the reply to {} query {} from node {} failed", fields[2], requestId, askingNode, e);
            }
        });
    }

    // Returns null when this node has no handler for the kind or the handler failed, so the asker
    // lists this node among those that did not reply.
    private String reply(String kind, String argument) {
        UnaryOperator<String> handler = handlers.get(kind);
        if (handler == null) {
            log.warn("no handler for cluster query kind '{}'; does another node run a newer version?", kind);
            return null;
        }
        try {
            return handler.apply(argument);
        } catch (RuntimeException e) {
            log.warn("handling a {} query failed", kind, e);
            return null;
        }
    }

    private void replyArrived(EntryEvent<String, String> event) {
        String key = event.getKey();
        int tab = key.indexOf('\t');
        if (tab <= 0) {
            return;
        }
        BlockingQueue<Map.Entry<String, String>> arrivals = pending.get(key.substring(0, tab));
        if (arrivals != null && event.getValue() != null) {
            arrivals.add(Map.entry(key.substring(tab + 1), event.getValue()));
        }
    }

    private static String key(String requestId, String node) {
        return requestId + "\t" + node;
    }

    @Override
    public void close() {
        requests.removeMessageListener(requestListener);
        replies.removeEntryListener(replyListener);
    }

    /**
     * The outcome of one {@link #ask}.
     *
     * @param byNode  each replying node's reply, by node name
     * @param queried the nodes queried, plus any node outside the list that replied
     * @param missing the nodes queried that did not reply within the wait
     */
    public record Replies(SortedMap<String, String> byNode, SortedSet<String> queried, SortedSet<String> missing) {
    }
}
