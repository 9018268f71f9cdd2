import CoreMetrics
import InMemoryTracing
import MetricsTestKit
import Tracing

/// The test process's metrics factory and tracer. Each system is bootstrapped once per process, on
/// first use; every test reads only what its own uniquely named transports and messages produced.
public enum TestTelemetry {
    public static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    public static let tracer: InMemoryTracer = {
        let tracer = InMemoryTracer(recordInjections: false, recordExtractions: false)
        InstrumentationSystem.bootstrap(tracer)
        return tracer
    }()
}
