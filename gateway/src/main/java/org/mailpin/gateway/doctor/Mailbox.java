package org.mailpin.gateway.doctor;

import java.util.List;

/**
 * The state of the user's INBOX as one backend reports it after an IMAP login.
 *
 * @param uidValidity  UIDVALIDITY of INBOX, which backends on one shared storage report alike; null when unread
 * @param messages     message count of INBOX; null when unread
 * @param quota        quota resources from GETQUOTAROOT, or null when the backend lacks the QUOTA capability
 *                     or the command failed
 * @param problem      what could not be read, with the backend's reply; null when everything was read
 */
public record Mailbox(Long uidValidity, Long messages, List<QuotaUsage> quota, String problem) {

    static Mailbox unreadable(String problem) {
        return new Mailbox(null, null, null, problem);
    }

    public boolean inboxRead() {
        return uidValidity != null;
    }

    /** Returns the quota as text: {@code no quota} without the QUOTA capability. */
    public String quotaText() {
        if (quota == null && problem != null) {
            return "quota unknown";
        }
        if (quota == null) {
            return "no quota";
        }
        if (quota.isEmpty()) {
            return "no quota root";
        }
        return String.join(", ", quota.stream().map(QuotaUsage::toString).toList());
    }
}
