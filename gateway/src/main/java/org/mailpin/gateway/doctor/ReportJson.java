package org.mailpin.gateway.doctor;

import org.mailpin.director.Backend;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Renders a report as one JSON object for scripts. docs/doctor.md describes the fields. */
public final class ReportJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReportJson() {
    }

    public static String render(DoctorReport report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("user", report.user());
        root.put("agree", report.agree());
        root.put("verdict", report.verdict());
        root.set("ringChoice", backend(report.ringChoice()));
        root.set("assignment", report.assignment() == null ? null : JSON.valueToTree(report.assignment()));

        ArrayNode backends = root.putArray("backends");
        for (BackendReport backend : report.backends()) {
            ObjectNode node = backends.addObject();
            node.put("id", backend.backend().id());
            node.put("address", backend.backend().address());
            ArrayNode services = node.putArray("services");
            for (ServiceCheck check : backend.checks()) {
                services.add(check(check));
            }
        }

        ArrayNode findings = root.putArray("findings");
        for (Finding finding : report.findings()) {
            ObjectNode node = findings.addObject();
            node.put("backend", finding.backend());
            node.put("service", finding.service().label());
            node.put("text", finding.text());
        }
        return root.toPrettyString();
    }

    private static ObjectNode backend(Backend backend) {
        if (backend == null) {
            return null;
        }
        ObjectNode node = JSON.createObjectNode();
        node.put("id", backend.id());
        node.put("address", backend.address());
        return node;
    }

    private static ObjectNode check(ServiceCheck check) {
        ObjectNode node = JSON.createObjectNode();
        node.put("service", check.service().label());
        node.put("port", check.port());
        node.put("status", check.status().name().toLowerCase(java.util.Locale.ROOT));
        node.put("greeting", check.greeting());
        node.put("reply", check.reply());
        node.put("problem", check.problem());
        if (check.mailbox() != null) {
            Mailbox mailbox = check.mailbox();
            ObjectNode inbox = node.putObject("inbox");
            inbox.put("uidValidity", mailbox.uidValidity());
            inbox.put("messages", mailbox.messages());
            inbox.set("quota", mailbox.quota() == null ? null : JSON.valueToTree(mailbox.quota()));
            inbox.put("problem", mailbox.problem());
        }
        return node;
    }
}
