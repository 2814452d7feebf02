#!/usr/bin/env pwsh
# Bootstrap in Nuke's manner: check the SDK against global.json, build build/ quietly, run it with all arguments.
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'; $env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$wanted = (Get-Content (Join-Path $root 'global.json') | ConvertFrom-Json).sdk.version
$majorMinor = ($wanted -split '\.')[0..1] -join '.'
if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
    Write-Error "dotnet is not on PATH. CiLab needs the .NET SDK $majorMinor (global.json asks for $wanted or a later feature band): https://dotnet.microsoft.com/download/dotnet/$majorMinor"
    exit 1
}
Push-Location $root
try {
    dotnet --version *> $null
    if ($LASTEXITCODE -ne 0) {
        dotnet --list-sdks
        Write-Error "No installed .NET SDK satisfies global.json ($wanted). Install the .NET SDK $majorMinor."
        exit 1
    }
    New-Item -ItemType Directory -Force (Join-Path $root 'artifacts') | Out-Null
    $log = Join-Path $root 'artifacts/build-bootstrap.log'
    dotnet build (Join-Path $root 'build/_build.csproj') -nologo -v q -clp:NoSummary -o (Join-Path $root 'artifacts/build-bin') *> $log
    if ($LASTEXITCODE -ne 0) {
        Get-Content $log
        Write-Error "The build project did not compile (log above, also in $log)."
        exit 1
    }
    dotnet (Join-Path $root 'artifacts/build-bin/_build.dll') @args
    exit $LASTEXITCODE
}
finally {
    Pop-Location
}
