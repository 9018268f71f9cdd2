import Synchronization

/// Metric handles made once per label set: making one asks the metrics factory (a lock and a
/// look-up in most backends), using one does not.
final class InstrumentCache<Key: Hashable & Sendable, Instrument: Sendable>: Sendable {
    private let instruments = Mutex<[Key: Instrument]>([:])
    private let make: @Sendable (Key) -> Instrument

    init(_ make: @escaping @Sendable (Key) -> Instrument) { self.make = make }

    subscript(key: Key) -> Instrument {
        instruments.withLock { instruments in
            if let instrument = instruments[key] { return instrument }
            let instrument = make(key)
            instruments[key] = instrument
            return instrument
        }
    }
}
