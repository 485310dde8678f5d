package org.mailpin.gateway;

import java.nio.charset.StandardCharsets;
import java.time.InstantSource;

import org.mailpin.director.DirectorSettings;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.hazelcast.ClusterSettings;
import org.mailpin.director.hazelcast.HazelcastDirector;
import org.mailpin.director.hazelcast.HazelcastMembers;
import org.mailpin.gateway.admin.AdminServer;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.http.Hmac;
import org.mailpin.gateway.http.WebGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.core.HazelcastInstance;

/** One gateway node: the shared state member, the director, the web gateway and the admin API. */
public final class GatewayServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private final HazelcastInstance hazelcast;
    private final HazelcastDirector director;
    private final WebGateway web;
    private final AdminServer admin;
    private final MailProxy mail;

    private GatewayServer(HazelcastInstance hazelcast, HazelcastDirector director, WebGateway web, AdminServer admin,
                          MailProxy mail) {
        this.hazelcast = hazelcast;
        this.director = director;
        this.web = web;
        this.admin = admin;
        this.mail = mail;
    }

    /** Starts every part, or none: a part that fails to start stops the ones before it. */
    public static GatewayServer start(GatewayConfig config, InstantSource clock) {
        Hmac hmac = hmac(config);
        String adminToken = Secrets.read(config.admin().tokenFile(), "admin.token-file");

        var d = config.director();
        DirectorSettings settings = new DirectorSettings(config.node(), d.userExpire(), config.web().sessionIdle(),
                new UsernameNormalizer(d.lowercase(), d.defaultDomain(), d.hashFormat()), config.backends());
        var c = config.cluster();
        ClusterSettings cluster = new ClusterSettings(c.name(), c.bindAddress(), c.port(), c.members());

        HazelcastInstance hazelcast = HazelcastMembers.start(cluster, settings.userExpire(), settings.webSessionIdle());
        HazelcastDirector director = null;
        WebGateway web = null;
        MailProxy mail = null;
        try {
            director = new HazelcastDirector(hazelcast, settings, clock);
            web = new WebGateway(config.web(), director, hmac, clock);
            web.start();
            mail = MailProxy.start(config, director);
            AdminServer admin = new AdminServer(config.admin(), director, adminToken);
            admin.start();
            log.info("node {} ready: {} backend(s), user-expire {}", config.node(), config.backends().size(),
                    settings.userExpire());
            return new GatewayServer(hazelcast, director, web, admin, mail);
        } catch (RuntimeException e) {
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
            throw e;
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

    @Override
    public void close() {
        log.info("stopping");
        admin.close();
        mail.close();
        web.close();
        director.close();
        hazelcast.shutdown();
    }
}
