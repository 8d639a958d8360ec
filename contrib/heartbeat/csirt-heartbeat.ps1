<#
.SYNOPSIS
    csirt-heartbeat.ps1: tell csirt this Windows server is alive, with its Wazuh agent and its
    Microsoft Defender state. Run it from Task Scheduler every few minutes (see README,
    "Heartbeats from the servers").

.DESCRIPTION
    Settings come from the parameters or, when a parameter is left out, from the environment:
      CSIRT_URL    csirt's address, e.g. https://csirt.example.gov.vn (required)
      CSIRT_TOKEN  the heartbeat token issued for this server (required)
      SERVER       this server's host name as in csirt's inventory (default: the computer name)
      AGENT_NAME, AGENT_VERSION, AV_PRODUCT, AV_ENABLED, AV_SIGNATURE_DATE (yyyy-MM-dd)
                   override what is detected
    -DryRun prints the JSON instead of sending it.
#>
[CmdletBinding()]
param(
    [string]$Url = $env:CSIRT_URL,
    [string]$Token = $env:CSIRT_TOKEN,
    [string]$Server = $(if ($env:SERVER) { $env:SERVER } else { $env:COMPUTERNAME.ToLowerInvariant() }),
    [switch]$DryRun
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2

if (-not $Url -or -not $Token) { throw 'Set CSIRT_URL and CSIRT_TOKEN (or pass -Url and -Token).' }

# --- the agent: the Wazuh service, if installed -------------------------------------------------
$agentName = $env:AGENT_NAME
$agentVersion = $env:AGENT_VERSION
if (-not $agentName) {
    $service = Get-Service -Name 'WazuhSvc' -ErrorAction SilentlyContinue
    if ($service) {
        $agentName = 'wazuh-agent'
        if (-not $agentVersion) {
            $exe = Join-Path ${env:ProgramFiles(x86)} 'ossec-agent\wazuh-agent.exe'
            if (Test-Path $exe) { $agentVersion = (Get-Item $exe).VersionInfo.ProductVersion }
            if (-not $agentVersion) {
                $versionFile = Join-Path ${env:ProgramFiles(x86)} 'ossec-agent\VERSION'
                if (Test-Path $versionFile) { $agentVersion = (Get-Content $versionFile -TotalCount 1).Trim().TrimStart('v') }
            }
        }
    }
}

# --- the antivirus: Microsoft Defender, if present ---------------------------------------------
$avProduct = $env:AV_PRODUCT
$avEnabled = $null
$avDate = $env:AV_SIGNATURE_DATE
if ($env:AV_ENABLED) { $avEnabled = @('1', 'true', 'yes') -contains $env:AV_ENABLED.ToLowerInvariant() }
if (-not $avProduct) {
    try {
        $mp = Get-MpComputerStatus
        $avProduct = 'Microsoft Defender ' + $mp.AMProductVersion
        if ($null -eq $avEnabled) { $avEnabled = [bool]($mp.AntivirusEnabled -and $mp.RealTimeProtectionEnabled) }
        if (-not $avDate -and $mp.AntivirusSignatureLastUpdated) {
            $avDate = $mp.AntivirusSignatureLastUpdated.ToUniversalTime().ToString('yyyy-MM-dd')
        }
    } catch {
        Write-Verbose "Defender not available: $_"
    }
}
if ($avDate -and $avDate -notmatch '^\d{4}-\d{2}-\d{2}$') { $avDate = $null }

function Get-OrNull([string]$value) { if ($value) { $value.Trim() } else { $null } }

# ConvertTo-Json does the escaping.
$body = [ordered]@{
    server    = $Server
    time      = (Get-Date).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
    agent     = [ordered]@{ name = (Get-OrNull $agentName); version = (Get-OrNull $agentVersion) }
    antivirus = [ordered]@{ product = (Get-OrNull $avProduct); enabled = $avEnabled; signature_date = (Get-OrNull $avDate) }
} | ConvertTo-Json -Depth 3 -Compress

if ($DryRun) { $body; return }

$uri = $Url.TrimEnd('/') + '/api/v1/heartbeats'
# TLS 1.2 on Windows PowerShell 5.1, whose default may be older.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
Invoke-RestMethod -Method Post -Uri $uri -TimeoutSec 20 -ContentType 'application/json; charset=utf-8' `
    -Headers @{ Authorization = "Bearer $Token" } -Body ([Text.Encoding]::UTF8.GetBytes($body)) | Out-Null
