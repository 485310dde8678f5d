package org.mailpin.gateway.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.mailpin.director.hazelcast.MapNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/** The cluster as shown to an administrator: gateway nodes, Hazelcast members, lease holders. */
public final class ClusterView {

    /** Name of the lease held by the node that runs the backend health checks. */
    public static final String HEALTH_LEASE = "health-checks";

    private static final Logger log = LoggerFactory.getLogger(ClusterView.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HazelcastInstance hazelcast;
    private final boolean client;
    private final IMap<String, String> nodes;
    private final IMap<String, String> leases;

    /** @param client true when this node is a Hazelcast client rather than a member */
    public ClusterView(HazelcastInstance hazelcast, boolean client) {
        this.hazelcast = hazelcast;
        this.client = client;
        this.nodes = hazelcast.getMap(MapNames.NODES);
        this.leases = hazelcast.getMap(MapNames.LEASES);
    }

    /** Returns every live gateway node's last published status, by node name. */
    public Map<String, Map<String, Object>> nodes() {
        Map<String, Map<String, Object>> result = new TreeMap<>();
        for (Map.Entry<String, String> entry : nodes.entrySet()) {
            try {
                result.put(entry.getKey(), JSON.readValue(entry.getValue(), new TypeReference<Map<String, Object>>() { }));
            } catch (JsonProcessingException e) {
                log.warn("ignoring unreadable status of node {}: {}", entry.getKey(), e.getOriginalMessage());
            }
        }
        return result;
    }

    /** Returns the live proxied connections of all nodes, summed by backend id. */
    @SuppressWarnings("unchecked")
    public Map<String, Integer> connectionsByBackend() {
        Map<String, Integer> sums = new TreeMap<>();
        for (Map<String, Object> status : nodes().values()) {
            Object connections = status.get("connections");
            if (!(connections instanceof Map<?, ?> byBackend)) {
                continue;
            }
            ((Map<String, Object>) byBackend).forEach((backend, byProtocol) -> {
                if (byProtocol instanceof Map<?, ?> counts) {
                    for (Object count : counts.values()) {
                        sums.merge(backend, ((Number) count).intValue(), Integer::sum);
                    }
                }
            });
        }
        return sums;
    }

    /** Returns the node holding the lease, or null when no node holds it. */
    public String leaseHolder(String lease) {
        return leases.get(lease);
    }

    /** Returns the whole picture for {@code mailpin cluster status}. */
    public Map<String, Object> describe() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", clusterName());
        body.put("mode", client ? "client" : "member");
        List<Map<String, Object>> members = new ArrayList<>();
        for (Member member : hazelcast.getCluster().getMembers()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("address", member.getAddress().getHost() + ":" + member.getAddress().getPort());
            json.put("uuid", member.getUuid().toString());
            json.put("local", !client && member.localMember());
            members.add(json);
        }
        body.put("members", members);
        body.put("nodes", nodes().values());
        body.put("healthChecker", leaseHolder(HEALTH_LEASE));
        return body;
    }

    private String clusterName() {
        try {
            return hazelcast.getConfig().getClusterName();
        } catch (UnsupportedOperationException e) {
            // A Hazelcast client cannot read the cluster's config.
            return null;
        }
    }
}
