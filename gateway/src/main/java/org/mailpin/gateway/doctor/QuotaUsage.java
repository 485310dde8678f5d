package org.mailpin.gateway.doctor;

/**
 * One resource of a quota root from {@code GETQUOTAROOT} (RFC 2087), e.g. {@code STORAGE} in KB.
 *
 * @param root      quota root name, e.g. {@code User quota}
 * @param resource  resource name, e.g. {@code STORAGE} or {@code MESSAGE}
 * @param usage     current usage, in the resource's unit
 * @param limit     limit, in the resource's unit
 */
public record QuotaUsage(String root, String resource, long usage, long limit) {

    @Override
    public String toString() {
        return root + " " + resource + " " + usage + "/" + limit;
    }
}
