/** The part of autocannon (no bundled types) the gateway bench uses. */
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      workers?: number;
      requests?: { method?: string; path?: string; headers?: Record<string, string>; body?: string }[];
    }
    interface Result {
      requests: { average: number; total: number };
      latency: { p50: number; p99: number; average: number };
      statusCodeStats: Record<string, { count: number }>;
      errors: number;
      non2xx: number;
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
