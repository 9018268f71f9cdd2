<?php
// php Tests/Symfony/setup.php DSN TABLE: Symfony's Doctrine transport makes its table, as
// `messenger:setup-transports` of a Symfony application does.
namespace App\Message;
require __DIR__ . '/bootstrap.php';

[$_, $dsn, $table] = $argv;
transport($dsn, $table, 'default')->setup();
echo "set up $table\n";
