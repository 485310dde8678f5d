package org.mailpin.gateway.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import org.mailpin.director.hazelcast.ClusterQueries;
import org.mailpin.gateway.mail.LiveConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A user's live mail connections on every gateway node. Each node replies to a
 * {@link ClusterQueries} request with the connections it proxies for the user, as a JSON array.
 */
public final class UserConnections {

    /** Kind of the cluster query; every node that runs this class replies to it. */
    static final String QUERY_KIND = "user-connections";

    private static final Logger log = LoggerFactory.getLogger(UserConnections.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<Map<String, String>>> REPLY_TYPE = new TypeReference<>() { };

    private final ClusterQueries queries;
    private final Duration wait;

    /**
     * Starts replying to other nodes with this node's connections.
     *
     * @param wait how long {@link #find} waits for the other nodes' replies
     */
    public UserConnections(ClusterQueries queries, LiveConnections live, Duration wait) {
        this.queries = queries;
        this.wait = wait;
        queries.register(QUERY_KIND, user -> encode(live.forUser(user)));
    }

    /** One proxied connection, as the node that proxies it reported it. */
    public record Connection(String id, String node, String protocol, String backend, String clientIp,
                             Instant since) {
    }

    /**
     * The user's connections on the nodes that replied.
     *
     * @param connections  oldest first
     * @param nodesQueried every node queried, and any other node that replied
     * @param nodesMissing the nodes that did not reply in time or sent an unreadable reply, so
     *                     their connections are absent from {@code connections}
     */
    public record Result(List<Connection> connections, SortedSet<String> nodesQueried, SortedSet<String> nodesMissing) {
    }

    /** Asks every node for the user's connections, waiting at most the configured time. */
    public Result find(String user) {
        ClusterQueries.Replies replies = queries.ask(QUERY_KIND, user, wait);
        List<Connection> connections = new ArrayList<>();
        SortedSet<String> missing = new TreeSet<>(replies.missing());
        replies.byNode().forEach((node, reply) -> {
            try {
                connections.addAll(decode(node, reply));
            } catch (JsonProcessingException | RuntimeException e) {
                log.warn("ignoring the unreadable reply of node {} to a {} query: {}", node, QUERY_KIND, e.toString());
                missing.add(node);
            }
        });
        connections.sort(Comparator.comparing(Connection::since).thenComparing(Connection::id));
        return new Result(List.copyOf(connections), replies.queried(), missing);
    }

    static String encode(List<LiveConnections.Entry> entries) {
        List<Map<String, String>> reply = new ArrayList<>();
        for (LiveConnections.Entry entry : entries) {
            Map<String, String> json = new LinkedHashMap<>();
            json.put("id", entry.id());
            json.put("protocol", entry.protocol().label());
            json.put("backend", entry.backendId());
            json.put("clientIp", entry.clientIp());
            json.put("since", entry.since().toString());
            reply.add(json);
        }
        try {
            return JSON.writeValueAsString(reply);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a list of string maps is always serializable", e);
        }
    }

    static List<Connection> decode(String node, String reply) throws JsonProcessingException {
        List<Connection> connections = new ArrayList<>();
        for (Map<String, String> json : JSON.readValue(reply, REPLY_TYPE)) {
            connections.add(new Connection(json.get("id"), node, json.get("protocol"), json.get("backend"),
                    json.get("clientIp"), Instant.parse(json.get("since"))));
        }
        return connections;
    }
}
