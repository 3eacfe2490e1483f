/// The one place the agent's version is written; packaging reads it from here.
public enum AdjoinVersion {
    public static let current = "0.1.0"
}
