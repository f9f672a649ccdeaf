/** One line describing a transfer in progress: a bar, bytes, rate and time left. */

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor(whole / 60) % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m`;
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, "0")}s` : `${whole}s`;
}

/** `name [#########-----------] 45% 12.3 MB/27.4 MB 3.1 MB/s ETA 5s` */
export function transferLine(name: string, sent: number, total: number, elapsedSeconds: number, width = 20): string {
  const fraction = total > 0 ? Math.min(1, sent / total) : 1;
  const filled = Math.round(fraction * width);
  const rate = elapsedSeconds > 0 ? sent / elapsedSeconds : 0;
  const eta = rate > 0 ? formatDuration((total - sent) / rate) : "?";
  return `${name} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${formatBytes(sent)}/${formatBytes(total)} ${formatBytes(rate)}/s ETA ${eta}`;
}
