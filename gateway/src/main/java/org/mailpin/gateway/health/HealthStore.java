package org.mailpin.gateway.health;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.mailpin.director.hazelcast.MapNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * The health records of all backends in the shared map {@link MapNames#HEALTH}, as JSON strings,
 * so the cluster needs no Mailpin classes. Only the checking node writes; every node reads.
 */
public final class HealthStore {

    private static final Logger log = LoggerFactory.getLogger(HealthStore.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final IMap<String, String> records;

    public HealthStore(HazelcastInstance hazelcast) {
        this.records = hazelcast.getMap(MapNames.HEALTH);
    }

    public Optional<HealthRecord> read(String backendId) {
        return Optional.ofNullable(records.get(backendId)).flatMap(json -> decode(backendId, json));
    }

    /** Returns every readable record, by backend id. */
    public Map<String, HealthRecord> all() {
        Map<String, HealthRecord> all = new TreeMap<>();
        records.forEach((id, json) -> decode(id, json).ifPresent(record -> all.put(id, record)));
        return all;
    }

    public void write(HealthRecord record) {
        try {
            records.set(record.backend(), JSON.writeValueAsString(record));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the health record of backend " + record.backend(), e);
        }
    }

    /** Removes the records of backends that no longer exist. */
    public void retainOnly(Set<String> backendIds) {
        for (String id : records.keySet()) {
            if (!backendIds.contains(id)) {
                records.delete(id);
            }
        }
    }

    private static Optional<HealthRecord> decode(String backendId, String json) {
        try {
            return Optional.of(JSON.readValue(json, HealthRecord.class));
        } catch (JsonProcessingException e) {
            // A record written by another Mailpin version; the checker overwrites it next round.
            log.warn("ignoring unreadable health record of backend {}: {}", backendId, e.getOriginalMessage());
            return Optional.empty();
        }
    }
}
