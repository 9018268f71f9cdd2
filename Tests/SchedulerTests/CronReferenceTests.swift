import Foundation
@testable import Scheduler
import Testing

/// The next-occurrence search checked against a plain minute-by-minute walk over real instants, which
/// states the daylight-saving rules its own way: a wall time that repeats fires only the first time it
/// occurs; wall times skipped by a gap fire at the first instant after the gap.
@Suite("Cron against a minute-by-minute reference")
struct CronReferenceTests {
    static let zones = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"].map { TimeZone(identifier: $0)! }

    /// A random generator with a fixed seed, so that a failure can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func field(_ range: ClosedRange<Int>, restrictChance: Double, using random: inout SeededGenerator) -> String {
        guard Double.random(in: 0..<1, using: &random) < restrictChance else {
            return Bool.random(using: &random) ? "*" : "*/\(Int.random(in: 2...5, using: &random))"
        }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: return (0..<Int.random(in: 1...3, using: &random)).map { _ in String(Int.random(in: range, using: &random)) }.joined(separator: ",")
        case 1:
            let low = Int.random(in: range, using: &random)
            return "\(low)-\(Int.random(in: low...range.upperBound, using: &random))"
        default: return "\(Int.random(in: range, using: &random))/\(Int.random(in: 2...7, using: &random))"
        }
    }

    /// Wall-clock seconds of an instant, with the zone's offset looked up once per quarter hour
    /// (every real transition falls on a quarter hour).
    struct Walls {
        let zone: TimeZone
        var cache: [Int64: Int64] = [:]
        mutating func wall(_ instant: Int64) -> Int64 {
            let block = instant - ((instant % 900) + 900) % 900
            if let offset = cache[block] { return instant + offset }
            let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(block))))
            cache[block] = offset
            return instant + offset
        }
    }

    static func reference(_ expression: CronExpression, after: Int64, zone: TimeZone, minutes: Int) -> Int64? {
        var walls = Walls(zone: zone)
        var instant = (after / 60 + 1) * 60
        var previous = walls.wall(instant - 60)
        for _ in 0..<minutes {
            let wall = walls.wall(instant)
            if wall - previous > 60 {
                var skipped = previous + 60
                while skipped < wall {
                    if expression.matches(wallMinute: skipped) { return instant }
                    skipped += 60
                }
            }
            if expression.matches(wallMinute: wall) {
                let repeated = [1800, 3600, 7200].contains { walls.wall(instant - Int64($0)) == wall }
                if !repeated { return instant }
            }
            previous = wall
            instant += 60
        }
        return nil
    }

    @Test("2,000 random expressions, start times and zones (a third near a daylight-saving change)")
    func randomAgainstReference() throws {
        var random = SeededGenerator(state: 20_261_123)
        let window = 3 * 24 * 60
        var compared = 0
        for _ in 0..<2000 {
            let text = [
                Self.field(0...59, restrictChance: 0.5, using: &random), Self.field(0...23, restrictChance: 0.5, using: &random),
                Self.field(1...31, restrictChance: 0.2, using: &random), Self.field(1...12, restrictChance: 0.1, using: &random),
                Self.field(0...7, restrictChance: 0.3, using: &random),
            ].joined(separator: " ")
            guard let expression = try? CronExpression(text) else { continue }
            let zone = Self.zones.randomElement(using: &random)!
            var start = Int64.random(in: 1_767_225_600...1_830_297_600, using: &random)
            if Int.random(in: 0..<3, using: &random) == 0,
               let transition = zone.nextDaylightSavingTimeTransition(after: Date(timeIntervalSince1970: TimeInterval(start))) {
                start = Int64(transition.timeIntervalSince1970) + Int64.random(in: -10_800...10_800, using: &random)
            }
            let fast = expression.nextOccurrence(after: Date(timeIntervalSince1970: TimeInterval(start)), in: zone).map { Int64($0.timeIntervalSince1970) }
            let slow = Self.reference(expression, after: start, zone: zone, minutes: window)
            let horizon = (start / 60 + 1) * 60 + Int64(window) * 60
            if let fast, fast < horizon {
                #expect(slow == fast, "\(text) in \(zone.identifier) after \(start): reference \(slow.map(String.init) ?? "none"), search \(fast)")
            } else {
                #expect(slow == nil, "\(text) in \(zone.identifier) after \(start): reference \(slow.map(String.init) ?? "none"), search \(fast.map(String.init) ?? "none")")
            }
            compared += 1
        }
        #expect(compared > 1500)
    }
}
