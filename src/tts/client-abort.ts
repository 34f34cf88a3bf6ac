import type { Request, Response } from 'express';

/** An AbortSignal that fires when the client goes away before the answer is complete. */
export function abortWhenClientLeaves(req: Request, res: Response): AbortSignal {
  const controller = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  req.once('aborted', () => controller.abort());
  return controller.signal;
}
