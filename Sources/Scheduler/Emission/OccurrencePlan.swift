import Foundation

/// What to do with the occurrences of one task that fell due since its checkpoint: a value computed
/// from the trigger, the checkpoint, the time and the catch-up policy, with no I/O.
public struct OccurrencePlan: Sendable, Equatable {
    /// Occurrences to emit, oldest first.
    public var emit: [Date] = []
    /// How many due occurrences within the look-back are skipped by the policy.
    public var skipped = 0
    /// Whether occurrences older than the look-back were passed over (not counted).
    public var lookBackExceeded = false
    /// The latest skipped occurrence when nothing is emitted after it: recorded (not emitted) so that
    /// the checkpoint moves past what was decided.
    public var skipMarker: Date?
    /// The first occurrence after `now`, nil when the trigger has ended.
    public var next: Date?

    /// How far back missed occurrences are looked for: a task idle for longer resumes from this far back.
    public static let lookBack: TimeInterval = 31 * 86_400

    /// The plan for occurrences in (`checkpoint`, `now`].
    public static func make(
        trigger: any Trigger, checkpoint: Date, now: Date, policy: CatchUpPolicy, misfireGraceSeconds: Int, maxCatchUp: Int
    ) -> OccurrencePlan {
        var plan = OccurrencePlan()
        let horizon = now.addingTimeInterval(-lookBack)
        var cursor = checkpoint
        if cursor < horizon {
            // Occurrences beyond the look-back are passed over without enumerating them.
            cursor = horizon
            if let first = trigger.nextRun(after: checkpoint), first <= horizon { plan.lookBackExceeded = true }
        }
        var missed: [Date] = []
        var onTime: [Date] = []
        let grace = TimeInterval(max(0, misfireGraceSeconds))
        while let occurrence = trigger.nextRun(after: cursor), occurrence <= now {
            if now.timeIntervalSince(occurrence) <= grace { onTime.append(occurrence) } else { missed.append(occurrence) }
            cursor = occurrence
        }
        plan.next = trigger.nextRun(after: max(cursor, now))
        switch policy {
        case .all:
            let kept = missed.suffix(max(1, maxCatchUp))
            plan.skipped += missed.count - kept.count
            plan.emit = Array(kept) + onTime
        case .last:
            if onTime.isEmpty, let latest = missed.last {
                plan.emit = [latest]
                plan.skipped += missed.count - 1
            } else {
                plan.emit = onTime
                plan.skipped += missed.count
            }
        case .none:
            plan.emit = onTime
            plan.skipped += missed.count
        }
        if let latest = missed.last, plan.emit.last.map({ $0 < latest }) ?? true {
            plan.skipMarker = latest
        }
        return plan
    }
}
