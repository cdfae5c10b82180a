package dev.descent;

/** What {@link Backends#probe()} found: a backend's name, whether it can run here, and why (not). */
public record BackendInfo(String name, boolean available, String detail) {

    /**
     * The line {@code descent devices} prints for this backend.
     *
     * @return name, availability and detail
     */
    public String line() {
        return String.format("%-10s %-12s %s", name, available ? "available" : "unavailable", detail);
    }
}
