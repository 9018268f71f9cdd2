import Synchronization

/// A value made at its first use and kept: a setting read, a connection opened, a file parsed. A
/// failure is not kept, so the next use tries again.
public final class LoadedOnce<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    /// Nothing made yet.
    public init() {}

    /// The kept value, or the one `make` makes now.
    public func get(_ make: () throws -> Value) rethrows -> Value {
        try value.withLock { value in
            if let value { return value }
            let made = try make()
            value = made
            return made
        }
    }
}
