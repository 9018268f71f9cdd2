<?php
// What the shared-queue tests' PHP programs share: Debian's Symfony Messenger 5.4 and Doctrine DBAL,
// the application's messages, and Symfony's Doctrine transport with its JSON serializer (as a Symfony
// application configured with `serializer: messenger.transport.symfony_serializer`).
namespace App\Message;
foreach (['Messenger', 'Messenger/Bridge/Doctrine', 'Serializer', 'PropertyAccess'] as $c) require "/usr/share/php/Symfony/Component/$c/autoload.php";
require '/usr/share/php/Doctrine/DBAL/autoload.php';
use Doctrine\DBAL\DriverManager;
use Symfony\Component\Messenger\Bridge\Doctrine\Transport\{Connection, DoctrineTransport};
use Symfony\Component\Messenger\Handler\HandlersLocator;
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Middleware\HandleMessageMiddleware;
use Symfony\Component\Messenger\Transport\Serialization\Serializer;

/// The Swift side's `Messenger.Probe` (type_map): a label, how long its handler works; its other
/// fields ignored.
class Probe { public function __construct(public string $label, public ?int $sleepMilliseconds = null) {} }
/// A message of a class the Swift side's type_map does not map.
class Unmapped { public function __construct(public string $label) {} }

/// DSN is Doctrine's URL: pgsql://user:password@host:port/db or sqlite:////absolute/file.sqlite.
function transport(string $dsn, string $table, string $queue, int $redeliverTimeout = 3600): DoctrineTransport {
    $dbal = DriverManager::getConnection(['url' => $dsn]);
    $options = ['table_name' => $table, 'queue_name' => $queue, 'auto_setup' => false, 'redeliver_timeout' => $redeliverTimeout];
    return new DoctrineTransport(new Connection($options, $dbal), Serializer::create());
}

/// Symfony's bus with the application's Probe handler: it prints "handled LABEL TIME" (microseconds
/// since the epoch), and fails (a RuntimeException) for a label that starts with "fail".
function bus(): MessageBus {
    return new MessageBus([new HandleMessageMiddleware(new HandlersLocator([Probe::class => [function (Probe $probe) {
        if (str_starts_with($probe->label, 'fail')) throw new \RuntimeException("the PHP handler refused {$probe->label}");
        if ($probe->sleepMilliseconds) usleep($probe->sleepMilliseconds * 1000);
        printf("handled %s %d\n", $probe->label, (int)(microtime(true) * 1e6));
    }]]))]);
}

/// `--name=value` options after the positional arguments.
function options(array $argv): array {
    $options = [];
    foreach ($argv as $argument) if (preg_match('/^--([a-z]+)=(.*)$/', $argument, $m)) $options[$m[1]] = $m[2];
    return $options;
}
