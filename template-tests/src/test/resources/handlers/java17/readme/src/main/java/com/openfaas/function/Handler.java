package com.openfaas.function;

import com.openfaas.model.AbstractHandler;
import com.openfaas.model.IRequest;
import com.openfaas.model.IResponse;
import com.openfaas.model.Response;

// What the official Java templates' handlers do with IRequest and IResponse, by the path.
public class Handler extends AbstractHandler {
    public IResponse Handle(IRequest req) {
        Response res = new Response();
        switch (req.getPathRaw()) {
            case "/echo" -> {
                res.setContentType(req.getHeader("Content-Type"));
                res.setBody(req.getBody());
            }
            case "/query" -> res.setBody(req.getQuery().get("name") + " " + req.getQueryRaw());
            case "/created" -> {
                res.setStatusCode(201);
                res.setHeader("X-Thing", req.getHeader("x-thing"));
                res.setContentType("application/json");
                res.setBody("{\"created\":true}");
            }
            case "/headers" -> res.setBody(req.getHeader("content-type") + "|" + req.getHeader("X-CALL-ID").isEmpty());
            case "/throws" -> throw new IllegalStateException("the handler failed");
            default -> {
                res.setStatusCode(404);
                res.setBody("no example at " + req.getPathRaw());
            }
        }
        return res;
    }
}
