// ssh2 1.x internals that ssh.ts drives (not in @types/ssh2; pinned by package-lock).
declare module "ssh2/lib/Channel.js" {
    export const MAX_WINDOW: number;
    export const PACKET_SIZE: number;
}
