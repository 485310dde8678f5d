package org.mailpin.gateway;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

import org.mailpin.director.DirectorSettings;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.hazelcast.ClientSettings;
import org.mailpin.director.hazelcast.ClusterQueries;
import org.mailpin.director.hazelcast.ClusterSettings;
import org.mailpin.director.hazelcast.HazelcastClients;
import org.mailpin.director.hazelcast.HazelcastDirector;
import org.mailpin.director.hazelcast.HazelcastMembers;
import org.mailpin.gateway.admin.AdminServer;
import org.mailpin.gateway.cluster.ClusterView;
import org.mailpin.gateway.cluster.NodeHeartbeat;
import org.mailpin.gateway.cluster.UserConnections;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.config.GatewayConfig.ClusterMode;
import org.mailpin.gateway.config.GatewayConfig.ClusterSection;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.health.BackendProbes;
import org.mailpin.gateway.health.HealthChecker;
import org.mailpin.gateway.health.HealthSettings;
import org.mailpin.gateway.health.HealthStore;
import org.mailpin.gateway.health.Lease;
import org.mailpin.gateway.health.LoginProbe;
import org.mailpin.gateway.health.MailProbe;
import org.mailpin.gateway.health.WebmailProbe;
import org.mailpin.gateway.http.Hmac;
import org.mailpin.gateway.http.WebGateway;
import org.mailpin.gateway.ops.BackendDrain;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.core.HazelcastInstance;

/** One gateway node: the shared state member, the director, the web gateway, the admin API and the meters. */
public final class GatewayServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private final HazelcastInstance hazelcast;
    private final HazelcastDirector director;
    private final WebGateway web;
    private final AdminServer admin;
    private final MailProxy mail;
    private final BackendDrain drain;
    private final NodeHeartbeat heartbeat;
    private final ClusterQueries queries;
    private final GatewayMetrics metrics;
    private final HealthChecker health;

    private GatewayServer(HazelcastInstance hazelcast, HazelcastDirector director, WebGateway web, AdminServer admin,
                          MailProxy mail, BackendDrain drain, NodeHeartbeat heartbeat, ClusterQueries queries,
                          GatewayMetrics metrics, HealthChecker health) {
        this.hazelcast = hazelcast;
        this.director = director;
        this.web = web;
        this.admin = admin;
        this.mail = mail;
        this.drain = drain;
        this.heartbeat = heartbeat;
        this.queries = queries;
        this.metrics = metrics;
        this.health = health;
    }

    /** Starts every part, or none: a part that fails to start stops the ones before it. */
    public static GatewayServer start(GatewayConfig config, InstantSource clock) {
        Hmac hmac = hmac(config);
        String adminToken = Secrets.read(config.admin().tokenFile(), "admin.token-file");

        var d = config.director();
        DirectorSettings settings = new DirectorSettings(config.node(), d.userExpire(), config.web().sessionIdle(),
                new UsernameNormalizer(d.lowercase(), d.defaultDomain(), d.hashFormat()), config.backends());
        HazelcastInstance hazelcast = startHazelcast(config.cluster(), settings);
        GatewayMetrics metrics = GatewayMetrics.withJvmMetrics();
        HazelcastDirector director = null;
        WebGateway web = null;
        MailProxy mail = null;
        BackendDrain drain = null;
        NodeHeartbeat heartbeat = null;
        ClusterQueries queries = null;
        HealthChecker health = null;
        try {
            director = new HazelcastDirector(hazelcast, settings, clock);
            director.onNewAssignment(metrics::recordAssignment);
            metrics.gaugeBackends(director::backends);
            web = new WebGateway(config.web(), director, hmac, clock, metrics);
            web.start();
            mail = MailProxy.start(config, director, metrics);
            metrics.gaugeLiveConnections(mail.live()::view);
            wireKicks(director, mail, metrics);
            drain = new BackendDrain(mail.live(), director.backends(), d.kickRate(), metrics::recordDrained);
            director.onBackendsChanged(drain::backendsChanged);
            heartbeat = new NodeHeartbeat(hazelcast, config.node(), mail.live());
            ClusterView cluster = new ClusterView(hazelcast, config.cluster().mode() == ClusterMode.CLIENT);
            queries = new ClusterQueries(hazelcast, config.node());
            UserConnections connections = new UserConnections(queries, mail.live(), ClusterQueries.DEFAULT_WAIT);
            health = startHealthChecks(config, director, hazelcast, clock);
            AdminServer admin = new AdminServer(config.admin(),
                    new AdminServer.Sources(director, cluster, connections, web.pins(), clock, metrics,
                            new HealthStore(hazelcast)),
                    config.backends(), d.kickRate(), adminToken);
            admin.start();
            log.info("node {} ready: {} backend(s), user-expire {}", config.node(), config.backends().size(),
                    settings.userExpire());
            return new GatewayServer(hazelcast, director, web, admin, mail, drain, heartbeat, queries, metrics, health);
        } catch (RuntimeException e) {
            if (health != null) {
                health.close();
            }
            if (queries != null) {
                queries.close();
            }
            if (heartbeat != null) {
                heartbeat.close();
            }
            if (drain != null) {
                drain.close();
            }
            if (mail != null) {
                mail.close();
            }
            if (web != null) {
                web.close();
            }
            if (director != null) {
                director.close();
            }
            hazelcast.shutdown();
            metrics.close();
            throw e;
        }
    }

    /**
     * Starts this node's part in the health checks, or returns null when they are disabled here.
     * The lease lasts three intervals, so a checking node that dies is replaced within that time.
     */
    private static HealthChecker startHealthChecks(GatewayConfig config, HazelcastDirector director,
                                                   HazelcastInstance hazelcast, InstantSource clock) {
        HealthSettings settings = config.health();
        Lease lease = new Lease(hazelcast, ClusterView.HEALTH_LEASE, config.node(),
                settings.interval().multipliedBy(3));
        if (!settings.enabled()) {
            log.info("health checks are disabled on this node (health.enabled: false)");
            HealthChecker.clearFlagsWithoutChecker(director, lease);
            return null;
        }
        LoginProbe login = null;
        if (settings.probeUser() != null) {
            String password = Secrets.read(settings.probePasswordFile(), "health.probe-password-file");
            login = new LoginProbe(settings.probeUser(), password, settings.timeout(), settings.sourceAddress());
        }
        Map<String, URI> roundcube = new HashMap<>();
        config.web().roundcube().forEach(instance -> roundcube.put(instance.id(), instance.url()));
        BackendProbes probes = new BackendProbes(settings, new MailProbe(settings.timeout(), settings.sourceAddress()),
                login, new WebmailProbe(settings.timeout()), roundcube);
        HealthChecker checker = new HealthChecker(director, settings, lease, new HealthStore(hazelcast), probes, clock);
        checker.start();
        return checker;
    }

    private static HazelcastInstance startHazelcast(ClusterSection cluster, DirectorSettings settings) {
        if (cluster.mode() == ClusterMode.CLIENT) {
            return HazelcastClients.start(new ClientSettings(cluster.name(), cluster.clientAddresses()),
                    settings.userExpire(), settings.webSessionIdle());
        }
        ClusterSettings member = new ClusterSettings(cluster.name(), cluster.bindAddress(), cluster.port(),
                cluster.members(), cluster.minMembers());
        log.info("starting Hazelcast member on {}:{} with {} listed member(s), new assignments need {} member(s)",
                member.bindAddress(), member.port(), member.members().size(), member.minMembers());
        return HazelcastMembers.start(member, settings.userExpire(), settings.webSessionIdle());
    }

    // Kicks from any node close this node's matching mail connections. After a split cluster
    // heals, the director compares the live connections with the merged assignments.
    private static void wireKicks(HazelcastDirector director, MailProxy mail, GatewayMetrics metrics) {
        director.onKick((user, backendId) -> {
            int closed = mail.kick(user, backendId);
            metrics.recordKick(backendId, closed);
            if (closed > 0) {
                log.info("kick of user {} closed {} connection(s) on {}", user, closed,
                        backendId == null ? "every backend" : "backend " + backendId);
            }
            // A kick from every backend also ends the user's web sessions, so each browser must
            // log in again. A kick from one backend (after a split heals) leaves them: a pinned
            // browser follows the current assignment on its next request anyway.
            if (backendId == null) {
                unpinWebSessions(director, user);
            }
        });
        director.liveBackends(mail::liveBackends);
    }

    // Every node receives the kick and removes the same entries; removal is idempotent.
    private static void unpinWebSessions(HazelcastDirector director, String user) {
        for (var session : director.webSessions().forUser(user)) {
            director.webSessions().remove(session.id());
        }
    }

    private static Hmac hmac(GatewayConfig config) {
        String secret = Secrets.read(config.web().secretFile(), "web.secret-file");
        try {
            return new Hmac(secret.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("web.secret-file (" + config.web().secretFile() + "): " + e.getMessage());
        }
    }

    public HazelcastDirector director() {
        return director;
    }

    public WebGateway web() {
        return web;
    }

    public AdminServer admin() {
        return admin;
    }

    public MailProxy mail() {
        return mail;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    @Override
    public void close() {
        log.info("stopping");
        admin.close();
        if (health != null) {
            health.close();
        }
        queries.close();
        heartbeat.close();
        drain.close();
        mail.close();
        web.close();
        director.close();
        hazelcast.shutdown();
        metrics.close();
    }
}
