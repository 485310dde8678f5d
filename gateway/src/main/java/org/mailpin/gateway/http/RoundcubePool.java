package org.mailpin.gateway.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.mailpin.director.Backend;
import org.mailpin.gateway.config.GatewayConfig.RoundcubeInstance;

import io.undertow.server.handlers.proxy.LoadBalancingProxyClient;

/**
 * The configured Roundcube instances, each with its own Undertow connection pool. The gateway
 * forwards only to these: no request can name another address.
 */
final class RoundcubePool implements AutoCloseable {

    /** One instance and its connection pool. */
    record Member(RoundcubeInstance instance, LoadBalancingProxyClient client) {
        String id() {
            return instance.id();
        }
    }

    private final Map<String, Member> members = new LinkedHashMap<>();
    private final List<Member> order;
    private final AtomicInteger next = new AtomicInteger();

    RoundcubePool(List<RoundcubeInstance> instances) {
        for (RoundcubeInstance instance : instances) {
            LoadBalancingProxyClient client = new LoadBalancingProxyClient()
                    .setConnectionsPerThread(16)
                    .setProblemServerRetry(5);
            client.addHost(instance.url());
            members.put(instance.id(), new Member(instance, client));
        }
        this.order = List.copyOf(members.values());
    }

    Optional<Member> byId(String id) {
        return Optional.ofNullable(members.get(id));
    }

    /** Returns the instance next to the backend, or the first configured one when it has none. */
    Member forBackend(Backend backend) {
        if (backend.webmail() != null && members.containsKey(backend.webmail())) {
            return members.get(backend.webmail());
        }
        return order.get(0);
    }

    /** Returns instances in turn, for browsers that are not logged in yet. */
    Member nextAnonymous() {
        return order.get(Math.floorMod(next.getAndIncrement(), order.size()));
    }

    @Override
    public void close() {
        for (Member member : order) {
            member.client().closeCurrentConnections();
        }
    }
}
